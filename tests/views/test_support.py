"""What support needs to act on failures: split batches, retry all, plain words."""

import pytest
from django.test import Client
from django.urls import reverse

from syncs.models import AuditEvent, BatchTrigger, SyncState
from syncs.services.webhooks import webhook_endpoint_create
from tests.factories import ProductFactory
from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def split(catalog):
    """A rejected batch of two, split into one delivered and one rejected again."""
    good, bad = ProductFactory(catalog=catalog), ProductFactory(catalog=catalog)
    parent = make_batch(keys=[good.gtin, bad.gtin], outcome="rejected", error="1 item invalid")
    delivered = make_batch(keys=[good.gtin], parent=parent, trigger=BatchTrigger.SPLIT)
    rejected = make_batch(
        keys=[bad.gtin], outcome="rejected", parent=parent, trigger=BatchTrigger.SPLIT
    )
    make_state(good, kind="product", status="confirmed", last_batch=delivered)
    make_state(bad, kind="product", status="failed", last_batch=rejected, last_error="bad price")
    return {"parent": parent, "delivered": delivered, "rejected": rejected, "bad": bad}


def test_a_rejected_batch_links_to_its_smaller_batches_and_retries_their_failed_rows(
    client, support, split
):
    client.force_login(support)
    parent, rejected = split["parent"], split["rejected"]
    html = client.get(reverse("batch_detail", args=[parent.pk])).content.decode()
    assert "Sent again in 2 smaller batches" in html
    for child in (split["delivered"], rejected):
        assert reverse("batch_detail", args=[child.pk]) in html
    assert "bad price" in html and "Retry the failed rows (1)" in html
    assert "bisect" not in html.lower()

    child = client.get(reverse("batch_detail", args=[rejected.pk])).content.decode()
    assert reverse("batch_detail", args=[parent.pk]) in child and "part of" in child

    client.post(reverse("batch_retry", args=[parent.pk]))
    state = SyncState.objects.get(object_id=split["bad"].pk)
    assert state.status == "pending"


def _fail(catalog, n, **extra):
    for _ in range(n):
        make_state(ProductFactory(catalog=catalog), kind="product", status="failed", **extra)


def test_retry_all_failed_is_one_confirmation_with_the_count(client, support, catalog):
    _fail(catalog, 3)
    client.force_login(support)
    home = client.get(reverse("home")).content.decode()
    assert "Retry all failed (3)…" in home
    page = client.get(reverse("retry_all_failed")).content.decode()
    assert "Retry 3 failed rows?" in page
    assert 'name="expected" value="3"' in page and 'type="checkbox"' not in page
    assert page.split('id="main"')[1].count("<button") == 1, "one button: confirm"
    done = client.post(reverse("retry_all_failed"), {"expected": "3"}, follow=True)
    assert "3 failed rows queued again" in done.content.decode()
    assert not SyncState.objects.filter(status="failed").exists()
    assert SyncState.objects.filter(status="pending").count() == 3
    (event,) = AuditEvent.objects.filter(action="sync.retry_failed")
    assert event.actor == support and event.after == {"rows": 3}
    again = client.get(reverse("retry_all_failed")).content.decode()
    assert "Nothing to retry" in again


def test_retry_all_failed_names_each_destination(client, support, catalog):
    endpoint, _secret = webhook_endpoint_create(
        name="Shop", url="https://shop.example.com/in", kinds=["product"], enabled=True,
        actor=None,
    )  # fmt: skip
    _fail(catalog, 2)
    _fail(catalog, 1, destination=endpoint.destination_name)
    client.force_login(support)
    page = client.get(reverse("retry_all_failed")).content.decode()
    assert "Retry 3 failed rows?" in page
    assert '<td>CitrusAd</td><td>Products</td><td class="num">2</td>' in page
    assert '<td>Webhook Shop</td><td>Products</td><td class="num">1</td>' in page


def test_a_changed_count_retries_nothing_and_says_so(client, support, catalog):
    _fail(catalog, 3)
    client.force_login(support)
    _fail(catalog, 2)  # two more failed after the page showed 3
    response = client.post(reverse("retry_all_failed"), {"expected": "3"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "The failed rows changed since the page was shown (3 then, 5 now)" in html
    assert "nothing was retried" in html and "Retry 5 failed rows?" in html
    assert SyncState.objects.filter(status="failed").count() == 5, "no partial write"
    assert not AuditEvent.objects.filter(action="sync.retry_failed").exists()
    # Confirmed again with the page's new count, it goes through.
    client.post(reverse("retry_all_failed"), {"expected": "5"})
    assert not SyncState.objects.filter(status="failed").exists()


@pytest.mark.parametrize("body", [{}, {"expected": ""}, {"expected": "all"}, {"expected": "-3"}])
def test_a_post_without_the_pages_count_retries_nothing(client, support, catalog, body):
    _fail(catalog, 3)
    client.force_login(support)
    response = client.post(reverse("retry_all_failed"), body)
    assert response.status_code == 400
    assert "That request did not come from this page" in response.content.decode()
    assert SyncState.objects.filter(status="failed").count() == 3
    assert not AuditEvent.objects.filter(action="sync.retry_failed").exists()


def test_retry_all_failed_needs_the_csrf_token(support, catalog):
    _fail(catalog, 3)
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(support)
    assert forged.post(reverse("retry_all_failed"), {"expected": "3"}).status_code == 403
    assert SyncState.objects.filter(status="failed").count() == 3


def test_merchandisers_are_not_offered_retry_all(client, merchandiser, catalog):
    make_state(ProductFactory(catalog=catalog), kind="product", status="failed")
    client.force_login(merchandiser)
    assert "Retry all failed" not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("retry_all_failed")).status_code == 403
    assert client.post(reverse("retry_all_failed"), {"expected": "1"}).status_code == 403
    assert SyncState.objects.filter(status="failed").count() == 1
