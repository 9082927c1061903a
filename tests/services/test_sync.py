from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from syncs.models import AuditEvent, Destination, Priority, SyncBatch, SyncState, SyncStatus
from syncs.services.push import destination_pause, destination_resume
from syncs.services.sync import (
    row_retry,
    rows_retry_failed,
    sync_history_prune,
)
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return UserFactory()


def _failed_product():
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    SyncState.objects.update(
        status=SyncStatus.FAILED,
        attempts=7,
        first_failure_at=timezone.now(),
        last_error="gtin rejected",
    )
    return product


def test_row_retry_makes_a_failed_row_pending_now_with_priority(actor):
    product = _failed_product()

    state = row_retry(kind="product", object_id=product.pk, destination="citrusad", actor=actor)

    assert (state.status, state.attempts, state.priority) == ("pending", 0, Priority.MANUAL)
    assert state.first_failure_at is None and state.next_attempt_at is None
    event = AuditEvent.objects.get(action="sync.retry")
    assert event.before == {"status": "failed", "last_error": "gtin rejected"}


def test_row_retry_of_a_confirmed_row_changes_nothing(actor):
    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    SyncState.objects.update(status=SyncStatus.CONFIRMED, confirmed_version=1)

    state = row_retry(kind="product", object_id=product.pk, destination="citrusad", actor=actor)

    assert state.status == "confirmed"
    assert not AuditEvent.objects.exists()


def test_row_retry_of_an_unknown_row_or_bad_input_is_refused(actor):
    with pytest.raises(ValidationError, match="never been marked"):
        row_retry(kind="product", object_id=999, destination="citrusad", actor=actor)
    with pytest.raises(ValidationError, match="Unknown kind or destination"):
        row_retry(kind="planet", object_id=1, destination="citrusad", actor=actor)


def test_rows_retry_failed_requeues_only_failed_rows_of_the_filter(actor):
    _failed_product()
    _failed_product()
    confirmed = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[confirmed.pk])
    SyncState.objects.filter(object_id=confirmed.pk).update(status="confirmed", confirmed_version=1)

    assert rows_retry_failed(actor=actor, kind="customer") == 0
    assert rows_retry_failed(actor=actor, destination="citrusad", kind="product") == 2

    assert SyncState.objects.filter(status="pending", attempts=0).count() == 2
    assert AuditEvent.objects.get(action="sync.retry_failed").after == {"rows": 2}


def test_destination_resume_unpauses_and_audits(actor):
    destination_pause(destination="citrusad", reason="CitrusAd answered 401")
    assert Destination.objects.get(name="citrusad").paused

    destination_resume(destination="citrusad", actor=actor)
    destination_resume(destination="citrusad", actor=actor)

    row = Destination.objects.get(name="citrusad")
    assert (row.paused, row.paused_reason, row.paused_at) == (False, "", None)
    event = AuditEvent.objects.get(action="destination.resume")
    assert event.before == {"paused": True, "paused_reason": "CitrusAd answered 401"}
    with pytest.raises(ValidationError, match="Unknown destination"):
        destination_resume(destination="elsewhere", actor=actor)


def test_history_older_than_the_retention_is_pruned(settings):
    settings.SYNC_HISTORY_RETENTION_DAYS = 30
    old = SyncBatch.objects.create(
        destination="citrusad", kind="product", endpoint="/v1/x", outcome="ok"
    )
    recent = SyncBatch.objects.create(
        destination="citrusad", kind="product", endpoint="/v1/x", outcome="ok"
    )
    SyncBatch.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    assert sync_history_prune() == 1
    assert list(SyncBatch.objects.all()) == [recent]
