"""CustobarClient against the sandbox over real HTTP."""

import pytest

from syncs.destinations import destination_client
from syncs.remotes import (
    CustobarClient,
    RejectedError,
    ResponseMismatchError,
    TransientError,
    UnauthorisedError,
)

JAMES = {"external_id": "3619490226", "email": "james.carroll@example.org", "can_email": True}


def test_upload_with_token(sandbox):
    client = destination_client("custobar")
    result = client.upload_customers(items=[JAMES])
    assert result.status_code == 200 and result.items == []
    (request,) = sandbox.received(path_prefix="/api/customers/upload/")
    assert request.json == {"customers": [JAMES]}
    assert sandbox.custobar_customer("3619490226")["can_email"] is True


def test_upload_with_user_and_password(sandbox):
    sandbox.configure(custobar_username="api-user", custobar_password="pa55:word")
    client = CustobarClient(base_url=sandbox.url, username="api-user", password="pa55:word")
    assert client.upload_customers(items=[JAMES]).status_code == 200
    wrong = CustobarClient(base_url=sandbox.url, username="api-user", password="nope")
    with pytest.raises(UnauthorisedError):
        wrong.upload_customers(items=[JAMES])


def test_needs_credentials():
    with pytest.raises(ValueError, match="API token"):
        CustobarClient(base_url="http://127.0.0.1:1")


def test_wrong_token_is_unauthorised(sandbox):
    client = CustobarClient(base_url=sandbox.url, api_token="not-the-token")
    with pytest.raises(UnauthorisedError) as caught:
        client.upload_customers(items=[JAMES])
    assert caught.value.status_code == 401


def test_invalid_customer_is_rejected_with_the_message(sandbox):
    client = destination_client("custobar")
    with pytest.raises(RejectedError) as caught:
        client.upload_customers(items=[JAMES, {"external_id": "bad id"}])
    assert caught.value.message.startswith("customers[1].external_id")
    assert sandbox.custobar_customer("3619490226") is None


def test_answer_without_ok_is_a_mismatch(sandbox):
    sandbox.configure(mismatch_next=1)
    with pytest.raises(ResponseMismatchError) as caught:
        destination_client("custobar").upload_customers(items=[JAMES])
    assert isinstance(caught.value, TransientError)
    assert '"queued"' in caught.value.body


def test_batches_are_limited(sandbox):
    with pytest.raises(ValueError):
        destination_client("custobar").upload_customers(items=[JAMES] * 101)
    assert sandbox.received() == []


def test_throttled_is_transient(sandbox):
    sandbox.configure(throttle_next=1, retry_after=3)
    with pytest.raises(TransientError) as caught:
        destination_client("custobar").upload_customers(items=[JAMES])
    assert caught.value.retry_after == 3
