"""The audit log (who did what to which object), and each person's own activity."""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from syncs.destinations import destination_labels_current, destination_names_for_kind
from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import AuditEvent, BulkOutcome, BulkStockItem, SyncKind, SyncState
from syncs.selectors.pagination import FIRST_PAGE, Page, Paging, keyset_page

AUDIT_SORTS = ("-id", "id")
# The kinds whose rows are pushed: an action on one of them has an outcome in a destination.
PUSHED_KINDS = (SyncKind.CATALOG, SyncKind.PRODUCT, SyncKind.CUSTOMER, SyncKind.ORDER)
_ROW_ID = re.compile(r"[0-9]{1,18}")


def audit_event_list(
    *,
    actor_id: int | None = None,
    actor: str = "",
    action: str = "",
    object_kind: str = "",
    object_text: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    paging: Paging = FIRST_PAGE,
) -> Page[AuditEvent]:
    """Top-level events, filtered: a bulk action is one entry, its products' entries hang off it.

    `actor`, `action` and `object_text` match any part ("stock" finds product.stock_out and
    product.bulk_stock_out); `object_text` also matches the object's id exactly. Each event
    carries `child_count`, the number of entries it stands for.
    """
    qs = AuditEvent.objects.filter(parent__isnull=True).select_related("bulk_action")
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if actor:
        qs = qs.filter(actor_name__icontains=actor)
    if action:
        qs = qs.filter(action__icontains=action)
    if object_kind:
        qs = qs.filter(object_kind=object_kind)
    if object_text:
        qs = qs.filter(Q(object_repr__icontains=object_text) | Q(object_id=object_text))
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    children = (
        AuditEvent.objects.filter(parent=OuterRef("pk"))
        .order_by()
        .values("parent")
        .annotate(n=Count("*"))
        .values("n")
    )
    qs = qs.annotate(child_count=Coalesce(Subquery(children), 0))
    return keyset_page(qs, paging=paging, sorts=AUDIT_SORTS)


def audit_event_get(*, event_id: int) -> AuditEvent | None:
    return AuditEvent.objects.filter(pk=event_id).first()


def audit_event_children(*, event: AuditEvent, paging: Paging = FIRST_PAGE) -> Page[AuditEvent]:
    """The entries one bulk action stands for, one per product, in the order they were made."""
    return keyset_page(AuditEvent.objects.filter(parent=event), paging=paging, sorts=("id",))


def audit_event_for(*, object_kind: str, object_id: str | int, limit: int = 20) -> list[AuditEvent]:
    """The latest events about one object, for its page."""
    return list(
        AuditEvent.objects.filter(object_kind=object_kind, object_id=str(object_id)).order_by(
            "-id"
        )[:limit]
    )


@dataclass(frozen=True)
class PushOutcome:
    destination: str  # its label
    status: str  # a SyncStatus value
    rows: int = 1


def audit_event_push_outcomes(*, events: list[AuditEvent]) -> dict[int, list[PushOutcome]]:
    """Where what each event changed stands in the destinations now (one query per kind on the
    page, one for its bulk actions, one for the endpoints' names): its row's sync status per
    destination, or for a bulk action how many of its products are confirmed, on their way or
    failed."""
    outcomes: dict[int, list[PushOutcome]] = {}
    by_object: dict[tuple[str, int], list[int]] = {}
    for event in events:
        if event.object_kind in PUSHED_KINDS and _ROW_ID.fullmatch(event.object_id):
            by_object.setdefault((event.object_kind, int(event.object_id)), []).append(event.pk)
    labels = destination_labels_current()  # every destination a state below can name
    for kind in {kind for kind, _ in by_object}:
        ids = [object_id for k, object_id in by_object if k == kind]
        # Naming the destinations lets the (destination, kind, object_id) index answer it.
        states = SyncState.objects.filter(
            destination__in=destination_names_for_kind(kind), kind=kind, object_id__in=ids
        ).order_by("destination")
        for state in states:
            for event_id in by_object[(kind, state.object_id)]:
                outcomes.setdefault(event_id, []).append(
                    PushOutcome(labels[state.destination], state.status)
                )
    bulk_events = [event.pk for event in events if event.object_kind == "bulk"]
    if bulk_events:
        status = SyncState.objects.filter(
            destination=CITRUSAD, kind=SyncKind.PRODUCT, object_id=OuterRef("product_id")
        ).values("status")[:1]
        rows = (
            BulkStockItem.objects.filter(
                action__audit_event_id__in=bulk_events, outcome=BulkOutcome.CHANGED
            )
            .annotate(status=Subquery(status))
            .values("action__audit_event_id", "status")
            .annotate(n=Count("*"))
            .order_by("action__audit_event_id", "status")
        )
        for row in rows:
            outcomes.setdefault(row["action__audit_event_id"], []).append(
                PushOutcome(labels[CITRUSAD], row["status"] or "", row["n"])
            )
    return outcomes
