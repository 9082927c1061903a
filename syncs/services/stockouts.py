"""The stock-out check: start it (nightly, on demand, from the command), carry it on, and ask
CitrusAd again about the products it re-sent once their re-send was confirmed."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from syncs.destinations import DestinationNotConfigured, destination_client, destination_get
from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import (
    DeletionState,
    StockoutCheck,
    StockoutCheckItem,
    StockoutCheckStatus,
    StockoutFinding,
    SyncKind,
    SyncState,
    SyncStatus,
)
from syncs.queues import Queue, TaskName
from syncs.services.audit import audit_event_record
from syncs.services.push.pacing import Pace as SharedPace
from syncs.stockouts import checks
from syncs.stockouts.runner import CheckStopped, Pace, StockoutDarkCheck, ask, stocked_out_products

# One task works this long, then a continuation takes over (far inside the task time limits).
CHECK_BUDGET_SECONDS = 10 * 60


def _enqueue(check_id: int, *, take: bool) -> None:
    from celery import current_app

    # robust: a broker that is down leaves the check to be taken over by the recheck tick.
    transaction.on_commit(
        lambda: current_app.send_task(
            TaskName.STOCKOUT_CHECK_RUN,
            kwargs={"check_id": check_id, "take": take},
            queue=Queue.SYNC,
        ),
        robust=True,
    )


def stockout_check_start(
    *, trigger: str, actor: AbstractBaseUser | None = None, enqueue: bool = True
) -> StockoutCheck | None:
    """Start a check of every stocked-out product; None when one is running already."""
    with transaction.atomic():
        check = checks.check_start(
            trigger=trigger, products=stocked_out_products().count(), actor=actor
        )
        if check is None:
            return None
        if actor is not None:
            audit_event_record(
                actor=actor,
                action="stockout_check_started",
                object_kind="stockout_check",
                object_id=check.pk,
                after={"products": check.products},
            )
        if enqueue:
            _enqueue(check.pk, take=False)
    return check


def stockout_check_run(
    *, check_id: int, take: bool = False, budget: float = CHECK_BUDGET_SECONDS
) -> bool:
    """Carry a check on for `budget` seconds; True when it finished (done or failed).

    `take`: a continuation, which first takes the check over (its lease ran out).
    """
    if take and not checks.check_take(check_id=check_id):
        return False
    check = StockoutCheck.objects.get(pk=check_id)
    if check.status != StockoutCheckStatus.RUNNING:
        return True
    finished = StockoutDarkCheck(
        check=check, rate=settings.STOCKOUT_CHECK_RATE, budget=budget
    ).run()
    if not finished:
        _enqueue(check_id, take=True)
    return finished


def stockout_check_in_process(*, actor=None) -> StockoutCheck | None:
    """`manage.py stockout_check`: the whole check here and now, no worker needed."""
    check = stockout_check_start(trigger="command", actor=actor, enqueue=False)
    if check is None:
        return None
    finished = stockout_check_run(check_id=check.pk)
    while not finished:
        finished = stockout_check_run(check_id=check.pk, take=True)
    check.refresh_from_db()
    return check


def stockout_checks_resume() -> int:
    """For the beat tick: continue every running check whose worker stopped (lease ran out)."""
    stalled = StockoutCheck.objects.filter(
        status=StockoutCheckStatus.RUNNING, lease_expires_at__lt=timezone.now()
    ).values_list("pk", flat=True)
    for check_id in stalled:
        _enqueue(check_id, take=True)
    return len(stalled)


def stockout_recheck() -> int:
    """Ask CitrusAd again about re-sent products whose re-send was confirmed (and had time to be
    ingested: STOCKOUT_RECHECK_MINUTES), or failed. Returns how many were asked."""
    now = timezone.now()
    settled_before = now - timedelta(minutes=settings.STOCKOUT_RECHECK_MINUTES)
    waiting = list(
        StockoutCheckItem.objects.filter(resent_version__isnull=False, rechecked_at__isnull=True)
        .select_related("product", "product__catalog")
        .order_by("id")
    )
    if not waiting:
        return 0
    states = {
        state.object_id: state
        for state in SyncState.objects.filter(
            destination=CITRUSAD,
            kind=SyncKind.PRODUCT,
            object_id__in=[item.product_id for item in waiting],
        )
    }
    try:
        client = destination_client(CITRUSAD)
    except DestinationNotConfigured:
        return 0
    pace = Pace(settings.STOCKOUT_CHECK_RATE)
    shared = SharedPace(destination_get(CITRUSAD))
    asked = 0
    for item in waiting:
        product = item.product
        if product.inventory > 0 or product.deletion_state != DeletionState.ACTIVE:
            # Restocked or deleted since: there is nothing left to prove.
            _recheck_record(item, finding="", now=now)
            continue
        state = states.get(product.pk)
        landed = (
            state is not None
            and state.confirmed_version >= item.resent_version
            and state.confirmed_at is not None
            and state.confirmed_at <= settled_before
        )
        if not (landed or (state is not None and state.status == SyncStatus.FAILED)):
            continue  # the re-send is still on its way
        pace.wait()
        try:
            finding, _inventory, _error = ask(client, product, shared=shared)
        except CheckStopped:
            return asked
        if finding == StockoutFinding.ERROR:
            continue  # no answer: ask again at the next tick
        _recheck_record(item, finding=finding, now=now)
        asked += 1
    return asked


def _recheck_record(item: StockoutCheckItem, *, finding: str, now) -> None:
    StockoutCheckItem.objects.filter(pk=item.pk, rechecked_at__isnull=True).update(
        recheck_finding=finding, rechecked_at=now
    )
