"""What support needs to act on failures: split batches, retry all, plain words."""

import pytest
from django.urls import reverse

from syncs.models import BatchTrigger, SyncState
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


def test_retry_all_failed_shows_the_count_and_needs_a_confirmation(client, support, catalog):
    for _ in range(3):
        make_state(ProductFactory(catalog=catalog), kind="product", status="failed")
    client.force_login(support)
    home = client.get(reverse("home")).content.decode()
    assert "Retry all failed (3)…" in home
    page = client.get(reverse("retry_all_failed")).content.decode()
    assert "Retry 3 failed rows?" in page
    refused = client.post(reverse("retry_all_failed"), {})
    assert refused.status_code == 200 and "Tick the box" in refused.content.decode()
    assert SyncState.objects.filter(status="failed").count() == 3
    done = client.post(reverse("retry_all_failed"), {"confirm": "on"}, follow=True)
    assert "3 failed rows queued again" in done.content.decode()
    assert not SyncState.objects.filter(status="failed").exists()
    again = client.get(reverse("retry_all_failed")).content.decode()
    assert "Nothing to retry" in again


def test_merchandisers_are_not_offered_retry_all(client, merchandiser, catalog):
    make_state(ProductFactory(catalog=catalog), kind="product", status="failed")
    client.force_login(merchandiser)
    assert "Retry all failed" not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("retry_all_failed")).status_code == 403
