"""Invariant 9: credentials never reach a log line, an exception or a recorded request."""

import logging
import pickle

import pytest

from syncs.remotes import CitrusAdClient, CustobarClient, RemoteError
from syncs.sandbox import DEFAULT_TEAM_ID

API_KEY = "ck-live-7f3a9b2c4d5e6f708192a3b4c5d6e7f8"
CUSTOBAR_TOKEN = "cb-token-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
CUSTOBAR_PASSWORD = "pw-5e6f7a8b9c0d1e2f"


def secrets_in(text: str) -> list[str]:
    return [s for s in (API_KEY, CUSTOBAR_TOKEN, CUSTOBAR_PASSWORD) if s in text]


def exception_texts(exc: RemoteError) -> str:
    return " ".join([str(exc), repr(exc), exc.body, repr(exc.__dict__), repr(pickle.dumps(exc))])


def test_no_secret_in_logs_exceptions_or_recordings(sandbox, caplog):
    sandbox.configure(
        api_keys={API_KEY: DEFAULT_TEAM_ID},
        custobar_token=CUSTOBAR_TOKEN,
        custobar_username="api",
        custobar_password=CUSTOBAR_PASSWORD,
    )
    citrusad = CitrusAdClient(
        base_url=sandbox.url, api_key=API_KEY, team_id=DEFAULT_TEAM_ID, read_timeout=0.3
    )
    wrong_team = CitrusAdClient(base_url=sandbox.url, api_key=API_KEY, team_id="other")
    custobar = CustobarClient(base_url=sandbox.url, api_token=CUSTOBAR_TOKEN)
    custobar_basic = CustobarClient(
        base_url=sandbox.url, username="api", password=CUSTOBAR_PASSWORD
    )
    product = {"catalogId": "c", "gtin": "1", "inventory": 1}
    # A remote that echoes the credential back in an error body must not leak it either.
    sandbox.configure(reject_gtins=[API_KEY])
    failures = [
        lambda: citrusad.upsert_catalog_products(items=[{**product, "gtin": "x" * 60}]),
        lambda: citrusad.upsert_catalog_products(items=[{**product, "gtin": API_KEY}]),
        lambda: wrong_team.upsert_catalog_products(items=[product]),
        lambda: citrusad.get_catalog_product(catalog_id="c", gtin="missing"),
        lambda: custobar.upload_customers(items=[{"email": "bad"}]),
        lambda: custobar_basic.upload_customers(items=[{"email": "bad"}]),
    ]
    with caplog.at_level(logging.DEBUG):
        assert citrusad.upsert_catalog_products(items=[product]).status_code == 200
        assert custobar.upload_customers(items=[{"email": "a@example.org"}]).status_code == 200
        caught = []
        for failure in failures:
            with pytest.raises(RemoteError) as info:
                failure()
            caught.append(info.value)
        for fault in ({"fail_next": 1}, {"throttle_next": 1}, {"latency_ms": 1000}):
            sandbox.configure(**fault)
            with pytest.raises(RemoteError) as info:
                citrusad.upsert_customers(items=[{"id": "c"}])
            caught.append(info.value)
            sandbox.configure(fail_next=0, throttle_next=0, latency_ms=0)
        unauthorised = CitrusAdClient(base_url=sandbox.url, api_key=API_KEY + "x", team_id="t")
        with pytest.raises(RemoteError) as info:
            unauthorised.upsert_customers(items=[{"id": "c"}])
        caught.append(info.value)

    assert caplog.records, "the clients log their calls"
    assert secrets_in(caplog.text) == []
    for exc in caught:
        assert secrets_in(exception_texts(exc)) == [], type(exc).__name__
    # The echoed key was replaced, and the rest of the message kept.
    assert "[redacted]" in str(caught[1])
    # The sandbox records method, path, query and body, never headers.
    for request in sandbox.received():
        assert "headers" not in request.to_dict()
        assert secrets_in(request.path + repr(request.query)) == []


def test_client_repr_does_not_show_the_key(sandbox):
    client = CitrusAdClient(base_url=sandbox.url, api_key=API_KEY, team_id="t")
    assert API_KEY not in repr(client) and API_KEY not in repr(vars(client))
