"""How each destination is doing right now: paused, unreachable, and who can resume it.

`destination_reachability` is the one definition of "unreachable" (the dashboard, the banner
on every page and the alerts use it): in the last DESTINATION_UNREACHABLE_MINUTES, attempts
got no answer at all (a timeout, a refused or dropped connection), and none got an answer
since. An HTTP error is an answer: the remote is there, it said no.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q
from django.utils import timezone

from syncs.destinations import destination_labels
from syncs.models import BatchOutcome, Destination, SyncBatch

# No HTTP answer at all: what a timeout or a connection error leaves in the history.
NO_ANSWER = Q(status_code__isnull=True) & Q(
    outcome__in=[BatchOutcome.TRANSIENT, BatchOutcome.UNKNOWN, BatchOutcome.ERROR]
)


@dataclass(frozen=True)
class Reachability:
    destination: str
    label: str
    unreachable: bool
    failures: int  # attempts without an answer in the window
    window_minutes: int
    last_failure_at: datetime.datetime | None
    last_error: str
    last_success_at: datetime.datetime | None


def destination_reachability(
    *, minutes: int | None = None, now: datetime.datetime | None = None
) -> list[Reachability]:
    """The destinations that had attempts without an answer in the last `minutes`, with whether
    they are unreachable now and when they last took a push. Two queries when all is well."""
    minutes = minutes or settings.DESTINATION_UNREACHABLE_MINUTES
    since = (now or timezone.now()) - datetime.timedelta(minutes=minutes)
    recent = (
        SyncBatch.objects.filter(created_at__gte=since)
        .values("destination")
        .annotate(
            failures=Count("pk", filter=NO_ANSWER),
            last_failure_at=Max("created_at", filter=NO_ANSWER),
            last_answer_at=Max("created_at", filter=~NO_ANSWER),
        )
        .filter(failures__gt=0)
        .order_by("destination")
    )
    recent = list(recent)
    labels = destination_labels(row["destination"] for row in recent)
    result = []
    for row in recent:
        name, last_failure_at = row["destination"], row["last_failure_at"]
        unreachable = row["last_answer_at"] is None or row["last_answer_at"] < last_failure_at
        latest = SyncBatch.objects.filter(
            NO_ANSWER, destination=name, created_at=last_failure_at
        ).first()
        success = (
            SyncBatch.objects.filter(destination=name, outcome=BatchOutcome.OK)
            .order_by("-id")
            .values_list("created_at", flat=True)
            .first()
        )
        result.append(
            Reachability(
                destination=name,
                label=labels[name],
                unreachable=unreachable,
                failures=row["failures"],
                window_minutes=minutes,
                last_failure_at=last_failure_at,
                last_error=latest.error.rstrip(".") if latest else "",  # quoted in a sentence
                last_success_at=success,
            )
        )
    return result


@dataclass(frozen=True)
class DestinationAlert:
    """A destination that needs people's attention, for the banner on every page."""

    destination: str
    label: str
    paused: bool
    paused_reason: str
    paused_at: datetime.datetime | None
    reachability: Reachability | None


def destination_alerts() -> list[DestinationAlert]:
    """Every destination that is paused or unreachable now (two or three small queries)."""
    paused = {d.name: d for d in Destination.objects.filter(paused=True)}
    unreachable = {r.destination: r for r in destination_reachability() if r.unreachable}
    labels = destination_labels(paused.keys() | unreachable.keys())
    return [
        DestinationAlert(
            destination=name,
            label=labels[name],
            paused=name in paused,
            paused_reason=paused[name].paused_reason if name in paused else "",
            paused_at=paused[name].paused_at if name in paused else None,
            reachability=unreachable.get(name),
        )
        for name in sorted(paused.keys() | unreachable.keys())
    ]


def destination_resumers(*, limit: int = 5) -> list[str]:
    """Who may resume a paused destination, so everyone else knows whom to ask."""
    users = get_user_model().objects.filter(is_active=True)
    allowed = Q(is_superuser=True) | Q(
        groups__permissions__codename="resume_destination",
        groups__permissions__content_type__app_label="syncs",
    )
    names = users.filter(allowed).distinct().order_by("username")
    return list(names.values_list("username", flat=True)[:limit])
