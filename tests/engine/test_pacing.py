"""The destinations' pace on the real Redis (and without it): GCRA spacing, AIMD after a 429,
the Retry-After hold, manual first, and the count of waiting requests."""

import threading

import pytest

from syncs.destinations import destination_get
from syncs.models import SyncState
from syncs.remotes.errors import RejectedError, TransientError
from syncs.services.customers import customer_forget
from syncs.services.push import pacing as pacing_module
from syncs.services.push import sync_run
from syncs.services.push.pacing import DECREASE, RECOVERY_ANSWERS, Pace, Ticket
from syncs.services.sync_state import sync_state_mark_changed
from tests.factories import CustomerFactory
from tests.worker_fixtures import wait_for

UPLOAD = "/api/customers/upload/"


def _throttled(retry_after=None):
    return TransientError("429", status_code=429, retry_after=retry_after)


@pytest.fixture
def custobar(settings):
    settings.CUSTOBAR_RATE_LIMIT = 600.0  # ten a second
    return Pace(destination_get("custobar"))


@pytest.fixture(params=["redis", "memory"])
def backend(request, monkeypatch):
    """Every rule holds with Redis (shared) and without it (this process only)."""
    if request.param == "memory":
        monkeypatch.setattr(pacing_module, "redis_client", lambda: None)
        monkeypatch.setattr(pacing_module, "redis_url", lambda: None)
    return request.param


def test_the_configured_limits_come_from_the_registry(settings):
    settings.CITRUSAD_RATE_LIMIT = None
    assert Pace(destination_get("citrusad")).status().current is None
    settings.CUSTOBAR_RATE_LIMIT = 180.0
    assert Pace(destination_get("custobar")).status().current == 180.0


def test_requests_are_spaced_at_the_pace_after_a_burst_of_two(backend, custobar):
    assert custobar.take(manual=False) and custobar.take(manual=False)
    assert custobar.take(manual=False) is None  # the third must wait for its slot
    stop = threading.Event()
    assert custobar.wait(manual=False, stop=stop) is not None  # ... and gets it


def test_an_unlimited_destination_never_waits_until_it_is_told_to(backend, settings, db):
    settings.CITRUSAD_RATE_LIMIT = None
    citrusad = Pace(destination_get("citrusad"))
    assert all(citrusad.take(manual=False) for _ in range(50))
    citrusad.answered(Ticket(0), _throttled(retry_after=30))
    status = citrusad.status()
    assert status.held_for > 25 and status.current is not None and status.slowed
    assert citrusad.take(manual=True) is None  # held: not even a manual action goes


def test_a_429_halves_the_pace_once_per_round_and_good_answers_bring_it_back(backend, custobar, db):
    ticket = custobar.take(manual=False)
    custobar.answered(ticket, _throttled())
    assert custobar.status().current == 600.0 * DECREASE
    # Another answer to a request sent at the old pace: the cut already counted it.
    custobar.answered(ticket, _throttled())
    assert custobar.status().current == 600.0 * DECREASE
    # A 429 to a request sent at the new pace cuts again.
    custobar.answered(Ticket(ticket.round + 1), _throttled())
    assert custobar.status().current == 600.0 * DECREASE * DECREASE
    # Errors that say nothing about the pace change nothing.
    custobar.answered(ticket, RejectedError("400", status_code=400))
    custobar.answered(ticket, TransientError("500", status_code=500))
    assert custobar.status().current == 150.0
    paces = []
    for _ in range(RECOVERY_ANSWERS):
        custobar.answered(ticket, None)
        paces.append(custobar.status().current)
    assert paces == sorted(paces) and paces[0] == 150.0 + 600.0 / RECOVERY_ANSWERS
    assert paces[-1] == 600.0 and not custobar.status().slowed


def test_a_retry_after_holds_the_whole_destination(backend, custobar):
    custobar.answered(Ticket(0), TransientError("503", status_code=503, retry_after=20))
    assert custobar.take(manual=False) is None and custobar.take(manual=True) is None
    assert 15 < custobar.status().held_for <= 20


def test_manual_requests_go_first_and_waiting_requests_are_counted(backend, custobar):
    stop = threading.Event()
    assert custobar.take(manual=False) and custobar.take(manual=False)
    custobar.answered(Ticket(0), _throttled(retry_after=1))  # held for a second
    got = {}

    def wait(lane, manual):
        got[lane] = custobar.wait(manual=manual, stop=stop)

    manual = threading.Thread(target=wait, args=("manual", True))
    manual.start()
    wait_for(lambda: custobar.status().manual_waiting == 1, timeout=5)
    # While a manual action waits, bulk requests take no slot.
    assert custobar.take(manual=False) is None
    bulk = threading.Thread(target=wait, args=("bulk", False))
    bulk.start()
    wait_for(lambda: custobar.status().waiting == 2, timeout=5)
    manual.join(timeout=10)
    bulk.join(timeout=10)
    assert got["manual"] is not None and got["bulk"] is not None
    assert custobar.status().waiting == 0


def test_a_wait_ends_without_a_slot_when_the_drain_is_told_to_stop(backend, custobar):
    custobar.answered(Ticket(0), _throttled(retry_after=60))
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert custobar.wait(manual=False, stop=stop) is None
    assert custobar.status().waiting == 0


@pytest.mark.django_db
def test_a_push_keeps_to_the_sandbox_limit_and_a_429_slows_every_request(sandbox, settings):
    settings.CUSTOBAR_RATE_LIMIT = 1200.0
    settings.SYNC_BATCH_SIZE = 5
    sandbox.configure(custobar_rpm=1200, rate_limit_burst=4)
    customers = CustomerFactory.create_batch(60)
    sync_state_mark_changed(kind="customer", object_ids=[c.pk for c in customers])

    sync_run(destinations=["custobar"], wait_for_retries=True)

    statuses = [r.status for r in sandbox.received(UPLOAD)]
    assert statuses.count(200) == 12 and 429 not in statuses
    assert SyncState.objects.filter(destination="custobar", status="confirmed").count() == 60

    # The remote says "too many": the whole destination slows down, not only those rows.
    sandbox.configure(throttle_next=1, retry_after=1)
    customer_forget(customer=customers[0], actor=None)
    sync_run(destinations=["custobar"], wait_for_retries=True)
    pace = Pace(destination_get("custobar")).status()
    assert pace.current < 1200.0 and pace.slowed
    assert [r.status for r in sandbox.received(UPLOAD)][-2:] == [429, 200]
