"""Webhook endpoints keep a pace like the platforms (syncs/services/push/pacing.py): each
endpoint its own WEBHOOK_RATE_LIMIT, and a receiver's 429 with Retry-After slows that endpoint
only. The sandbox's receiver enforces a per-receiver limit (`webhook_rpm`) over real HTTP."""

import pytest

from syncs.destinations import destination_get
from syncs.models import SyncBatch, SyncState
from syncs.remotes.errors import TransientError
from syncs.services.push import sync_run
from syncs.services.push.pacing import DECREASE, Pace, Ticket
from syncs.services.sync_state import sync_state_mark_changed
from syncs.services.webhooks import webhook_endpoint_create
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_each_endpoint_is_paced_at_webhook_rate_limit(endpoint, settings):
    settings.WEBHOOK_RATE_LIMIT = 120.0
    assert Pace(destination_get(endpoint.destination_name)).status().current == 120.0
    settings.WEBHOOK_RATE_LIMIT = None
    assert Pace(destination_get(endpoint.destination_name)).status().current is None


def test_the_default_is_600_a_minute():
    from django.conf import settings

    assert settings.WEBHOOK_RATE_LIMIT == 600.0


def test_a_429_slows_only_the_endpoint_that_answered_it(endpoint, sandbox, admin_user):
    other, _secret = webhook_endpoint_create(
        name="Warehouse", url=f"{sandbox.url}/webhooks/warehouse", kinds=["product"],
        enabled=True, actor=admin_user,
    )  # fmt: skip
    shop = Pace(destination_get(endpoint.destination_name))
    shop.answered(Ticket(0), TransientError("429", status_code=429, retry_after=30))
    assert shop.status().current == 600.0 * DECREASE and shop.status().held_for > 25
    for name in (other.destination_name, "custobar"):
        assert not Pace(destination_get(name)).status().slowed


def test_a_receiver_over_its_limit_answers_429_and_the_endpoint_slows_down(
    sandbox, endpoint, settings
):
    settings.SYNC_BATCH_SIZE = 5
    # The receiver takes two requests at once, then one every three seconds: the third of
    # three batches sent at our 600 a minute is answered 429 with a Retry-After.
    sandbox.configure(webhook_rpm=20, rate_limit_burst=2)
    products = ProductFactory.create_batch(15)
    sync_state_mark_changed(kind="product", object_ids=[p.pk for p in products])

    sync_run(destinations=[endpoint.destination_name], wait_for_retries=True)

    assert sandbox.app.webhooks.listing()["refused"] == {"429": 1}
    deliveries = sandbox.webhooks_received()
    assert [d["item_count"] for d in deliveries] == [5, 5, 5]
    assert all(d["verified"] for d in deliveries)
    states = SyncState.objects.filter(destination=endpoint.destination_name)
    assert {s.status for s in states} == {"confirmed"} and states.count() == 15
    outcomes = SyncBatch.objects.filter(destination=endpoint.destination_name).order_by("id")
    assert list(outcomes.values_list("outcome", flat=True)) == ["ok", "ok", "transient", "ok"]
    pace = Pace(destination_get(endpoint.destination_name)).status()
    assert pace.slowed and pace.current < 600.0  # cut by the 429, one good answer back since
    assert not Pace(destination_get("citrusad")).status().slowed
