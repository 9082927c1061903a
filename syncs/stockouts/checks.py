"""Every transition of a StockoutCheck, in one place.

    (none) ──start──▶ running ──▶ done      every stocked-out product was asked
                         │  ────▶ failed    CitrusAd is not configured or refused our key
                         └─(lease ran out)─▶ taken over by the next continuation, from its cursor

Creating the running check is the claim: the database allows one running check at a time. Its
progress (cursor, counts) is written under `status = running`, and a continuation takes a check
over only when its lease ran out (its worker died or stopped at its time budget).
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from syncs.models import StockoutCheck, StockoutCheckStatus

LEASE = timedelta(minutes=2)


class CheckLost(Exception):
    """The check is no longer this worker's."""


def check_start(*, trigger: str, products: int, actor=None) -> StockoutCheck | None:
    """A new running check, or None when one is running already."""
    try:
        with transaction.atomic():
            return StockoutCheck.objects.create(
                trigger=trigger,
                started_at=timezone.now(),
                lease_expires_at=timezone.now() + LEASE,
                products=products,
                started_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        return None


def check_take(*, check_id: int) -> bool:
    """Take a running check whose lease ran out (or that is not leased), for a continuation."""
    now = timezone.now()
    return bool(
        StockoutCheck.objects.filter(
            pk=check_id, status=StockoutCheckStatus.RUNNING, lease_expires_at__lt=now
        ).update(lease_expires_at=now + LEASE)
    )


def check_progress(
    *, check_id: int, cursor: int, checked: int, dark: int, resent: int, errors: int
) -> None:
    """Add what was done since the last call and move the cursor; renews the lease."""
    if not StockoutCheck.objects.filter(pk=check_id, status=StockoutCheckStatus.RUNNING).update(
        cursor=cursor,
        checked=F("checked") + checked,
        dark=F("dark") + dark,
        resent=F("resent") + resent,
        errors=F("errors") + errors,
        lease_expires_at=timezone.now() + LEASE,
    ):
        raise CheckLost


def check_pause(*, check_id: int) -> None:
    """Out of time for this task: the lease ends now, so the continuation can take it."""
    StockoutCheck.objects.filter(pk=check_id, status=StockoutCheckStatus.RUNNING).update(
        lease_expires_at=timezone.now()
    )


def check_done(*, check_id: int) -> None:
    check = StockoutCheck.objects.get(pk=check_id)
    message = (
        f"{check.dark:,} of {check.checked:,} stocked-out products confirmed dark in CitrusAd"
        f"; {check.resent:,} re-sent"
        + (f"; {check.errors:,} got no answer" if check.errors else "")
        + "."
    )
    StockoutCheck.objects.filter(pk=check_id, status=StockoutCheckStatus.RUNNING).update(
        status=StockoutCheckStatus.DONE,
        finished_at=timezone.now(),
        lease_expires_at=None,
        message=message,
    )


def check_failed(*, check_id: int, message: str) -> None:
    StockoutCheck.objects.filter(pk=check_id, status=StockoutCheckStatus.RUNNING).update(
        status=StockoutCheckStatus.FAILED,
        finished_at=timezone.now(),
        lease_expires_at=None,
        message=message,
    )
