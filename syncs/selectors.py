"""Reads for the pages: each a keyword-only function named <entity>_<query>.

Every list here is built with a fixed number of queries whatever its length (the view tests count
them), and every list that can grow without bound is keyset-paginated by id.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.db.models import (
    Avg,
    BigIntegerField,
    Count,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncHour
from django.utils import timezone
from psycopg.errors import QueryCanceled

from syncs.destinations import destinations_all
from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import (
    AuditEvent,
    Catalog,
    Customer,
    Destination,
    ImportJob,
    ImportStatus,
    Order,
    Product,
    SyncBatch,
    SyncKind,
    SyncState,
    SyncStatus,
)

PAGE_SIZE = 50
# A pending row is one the remote does not have yet, whether or not a worker holds it right now.
_WAITING = (SyncStatus.PENDING, SyncStatus.IN_FLIGHT)


@dataclass(frozen=True)
class KindCounts:
    kind: str
    label: str
    total: int
    pending: int
    failed: int
    confirmed: int
    unknown: int
    oldest_pending_at: datetime.datetime | None

    @property
    def lag_seconds(self) -> float:
        if self.oldest_pending_at is None:
            return 0.0
        return max(0.0, (timezone.now() - self.oldest_pending_at).total_seconds())


@dataclass(frozen=True)
class DestinationOverview:
    name: str
    label: str
    configured: bool
    paused: bool
    paused_reason: str
    paused_at: datetime.datetime | None
    kinds: list[KindCounts] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {
            k.kind: {
                "pending": k.pending,
                "failed": k.failed,
                "confirmed": k.confirmed,
                "unknown": k.unknown,
            }
            for k in self.kinds
        }


@dataclass(frozen=True)
class HourBucket:
    hour: datetime.datetime
    pushes: int
    items: int


@dataclass(frozen=True)
class FailedRow:
    state: SyncState
    obj: object | None  # the Product/Customer/Order/Catalog, None if it has gone

    @property
    def label(self) -> str:
        return (
            str(self.obj) if self.obj is not None else f"{self.state.kind} #{self.state.object_id}"
        )


# Confirmed rows are nearly all of a large table and counting them reads the whole status index
# (150 ms at a million rows); they change the least, so their count is cached this long. Every
# other status is counted fresh from a small partial index (migration 0005).
CONFIRMED_COUNT_SECONDS = 30


def _sync_state_counts() -> dict[tuple[str, str, str], int]:
    """(destination, kind, status) -> rows; confirmed counts at most 30 seconds old."""

    def count(qs) -> dict[tuple[str, str, str], int]:
        # COUNT(*), not COUNT(id): the index holds no id, and this way the heap is not read.
        rows = qs.values("destination", "kind", "status").annotate(n=Count("*")).order_by()
        return {(r["destination"], r["kind"], r["status"]): r["n"] for r in rows}

    confirmed = cache.get_or_set(
        "citrusadmin:sync-confirmed-counts",
        lambda: count(SyncState.objects.filter(status=SyncStatus.CONFIRMED)),
        CONFIRMED_COUNT_SECONDS,
    )
    return {**confirmed, **count(SyncState.objects.exclude(status=SyncStatus.CONFIRMED))}


def sync_overview() -> list[DestinationOverview]:
    """Per destination: configured/paused, and per kind the counts and oldest pending change."""
    grouped: dict[tuple[str, str], dict] = {}
    for (destination, kind, status), n in _sync_state_counts().items():
        slot = grouped.setdefault(
            (destination, kind),
            {"total": 0, "oldest": None, **dict.fromkeys(SyncStatus.values, 0)},
        )
        slot[status] += n
        slot["total"] += n
    # Per status, so each reads its own partial index (pending: the claim index) alone.
    for status in _WAITING:
        oldest = (
            SyncState.objects.filter(status=status)
            .values("destination", "kind")
            .annotate(oldest=Min("changed_at"))
            .order_by()
        )
        for row in oldest:
            slot = grouped.get((row["destination"], row["kind"]))
            if slot is not None and (slot["oldest"] is None or row["oldest"] < slot["oldest"]):
                slot["oldest"] = row["oldest"]
    destinations = {d.name: d for d in Destination.objects.all()}
    result = []
    for destination in destinations_all():
        name, label = destination.name, destination.label
        state = destinations.get(name)
        kinds = []
        for kind, kind_label in SyncKind.choices:
            slot = grouped.get((name, kind))
            if slot is None:
                continue
            kinds.append(
                KindCounts(
                    kind=kind,
                    label=kind_label,
                    total=slot["total"],
                    pending=slot[SyncStatus.PENDING] + slot[SyncStatus.IN_FLIGHT],
                    failed=slot[SyncStatus.FAILED],
                    confirmed=slot[SyncStatus.CONFIRMED],
                    unknown=slot[SyncStatus.UNKNOWN],
                    oldest_pending_at=slot["oldest"],
                )
            )
        result.append(
            DestinationOverview(
                name=name,
                label=label,
                configured=destination.configured,
                paused=bool(state and state.paused),
                paused_reason=state.paused_reason if state else "",
                paused_at=state.paused_at if state else None,
                kinds=kinds,
            )
        )
    return result


def sync_batch_hourly(*, hours: int = 24, now: datetime.datetime | None = None) -> list[HourBucket]:
    """Pushes and items per hour for the last `hours` hours, oldest first, empty hours as zero."""
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    start = end - datetime.timedelta(hours=hours)
    rows = (
        SyncBatch.objects.filter(created_at__gte=start)
        .annotate(hour=TruncHour("created_at", tzinfo=datetime.UTC))
        .values("hour")
        .annotate(pushes=Count("*"), items=Sum("item_count"))
        .order_by()
    )
    by_hour = {row["hour"]: row for row in rows}
    buckets = []
    for i in range(hours):
        hour = start + datetime.timedelta(hours=i)
        row = by_hour.get(hour)
        buckets.append(
            HourBucket(
                hour=hour,
                pushes=row["pushes"] if row else 0,
                items=(row["items"] or 0) if row else 0,
            )
        )
    return buckets


def _objects_by_kind(states: list[SyncState]) -> dict[tuple[str, int], object]:
    """Fetch the rows behind sync states: one query per kind present, never one per row."""
    from syncs.destinations import KIND_MODELS

    wanted: dict[str, set[int]] = {}
    for state in states:
        wanted.setdefault(state.kind, set()).add(state.object_id)
    found: dict[tuple[str, int], object] = {}
    for kind, ids in wanted.items():
        model = KIND_MODELS[SyncKind(kind)]
        for obj in model.objects.filter(pk__in=ids):
            found[(kind, obj.pk)] = obj
    return found


def sync_state_recent_failures(*, limit: int = 10) -> list[FailedRow]:
    """The most recently failed rows, with the rows themselves, for the retry list."""
    states = list(
        SyncState.objects.filter(status__in=[SyncStatus.FAILED, SyncStatus.UNKNOWN])
        .select_related("last_batch")
        .order_by("-changed_at", "-id")[:limit]
    )
    objects = _objects_by_kind(states)
    return [FailedRow(state=s, obj=objects.get((s.kind, s.object_id))) for s in states]


def sync_state_for(*, kind: str, object_ids: list[int]) -> dict[int, dict[str, SyncState]]:
    """object_id -> destination -> SyncState, for a page of rows (one query)."""
    result: dict[int, dict[str, SyncState]] = {}
    for state in SyncState.objects.filter(kind=kind, object_id__in=object_ids):
        result.setdefault(state.object_id, {})[state.destination] = state
    return result


# --- Sync history ---------------------------------------------------------------------------


def _key_filter(key: str) -> Q:
    # PostgreSQL answers `keys @> '["X"]'` from the GIN index of migration 0005; SQLite has no
    # JSON containment, so it matches the quoted key in the stored JSON text instead.
    if connection.vendor == "postgresql":
        return Q(keys__contains=[key])
    return Q(keys__icontains=json.dumps(key))


def sync_batch_list(
    *,
    destination: str = "",
    kind: str = "",
    outcome: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    key: str = "",
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[SyncBatch], int | None]:
    """Batches newest first; returns the page and the id to pass as `before_id` for the next."""
    qs = SyncBatch.objects.defer("request_body", "response_body", "keys")
    if destination:
        qs = qs.filter(destination=destination)
    if kind:
        qs = qs.filter(kind=kind)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    if key:
        qs = qs.filter(_key_filter(key))
    if before_id:
        qs = qs.filter(id__lt=before_id)
    page = list(qs.order_by("-id")[: limit + 1])
    next_id = page[limit - 1].id if len(page) > limit else None
    return page[:limit], next_id


def sync_batch_get(*, batch_id: int) -> SyncBatch | None:
    return SyncBatch.objects.select_related("parent").filter(pk=batch_id).first()


def sync_batch_rows(*, batch: SyncBatch) -> list[FailedRow]:
    """The rows whose latest push was this batch, with their current state."""
    states = list(SyncState.objects.filter(last_batch=batch).order_by("object_id")[:500])
    objects = _objects_by_kind(states)
    return [FailedRow(state=s, obj=objects.get((s.kind, s.object_id))) for s in states]


def sync_batch_for_key(*, key: str, kind: str, limit: int = 20) -> list[SyncBatch]:
    """The latest batches that carried one GTIN / customer id / order id."""
    return list(
        SyncBatch.objects.filter(_key_filter(key), kind=kind)
        .defer("request_body", "response_body", "keys")
        .order_by("-id")[:limit]
    )


# --- Products -------------------------------------------------------------------------------


_WORD = re.compile(r"\w+")


def _name_words_filter(qs: QuerySet[Product], q: str) -> QuerySet[Product]:
    """Every word must start a word of the name ("choc" finds "Dark chocolate").

    PostgreSQL answers it from the name's full-text GIN index (migration 0005): a prefix
    tsquery intersects posting lists, where substring matching would read most of the table
    for common words. SQLite, for the demo, matches substrings.
    """
    words = _WORD.findall(q.lower())[:8]
    if not words:
        return qs.none()
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        # The expression is the index's, verbatim; the words are a parameter.
        return qs.extra(  # noqa: S610
            where=["to_tsvector('simple', syncs_product.name) @@ to_tsquery('simple', %s)"],
            params=[tsquery],
        )
    for word in words:
        qs = qs.filter(name__icontains=word)
    return qs


def product_search(
    *, q: str = "", catalog_id: int | None = None, stock: str = "", sync: str = ""
) -> QuerySet[Product]:
    """Products matching a GTIN, a GTIN prefix or name words, and the filters.

    A scanned GTIN that exists is an exact search: the page and "all matching this search" then
    mean the same products. Otherwise digits are a GTIN prefix (the gtin index answers both,
    with varchar_pattern_ops on PostgreSQL), and words must each start a word of the name.
    """
    qs = Product.objects.all()
    q = q.strip()
    if q and " " not in q and Product.objects.filter(gtin=q).exists():
        qs = qs.filter(gtin=q)  # also product codes that are not digits ("SKU-123")
    elif q.isdigit():
        qs = qs.filter(gtin__startswith=q)
    elif q:
        qs = _name_words_filter(qs, q)
    if catalog_id:
        qs = qs.filter(catalog_id=catalog_id)
    if stock == "out":
        qs = qs.filter(inventory=0)
    elif stock == "in":
        qs = qs.filter(inventory__gt=0)
    if sync:
        statuses = list(_WAITING) if sync == SyncStatus.PENDING else [sync]
        # An IN over the few rows in that state, which the planner can start from.
        qs = qs.filter(
            pk__in=SyncState.objects.filter(
                destination=CITRUSAD, kind=SyncKind.PRODUCT, status__in=statuses
            ).values("object_id")
        )
    return qs


def product_search_page(
    *, after_id: int | None = None, limit: int = PAGE_SIZE, **search
) -> tuple[list[Product], int | None]:
    """One page of `product_search` by id, with sync states; returns (page, next after_id)."""
    qs = product_search(**search).select_related("catalog")
    if after_id:
        qs = qs.filter(id__gt=after_id)
    page = _first_by_id(qs, limit + 1, narrow=bool(search.get("q", "").strip()))
    next_id = page[limit - 1].id if len(page) > limit else None
    return product_attach_states(products=page[:limit]), next_id


# How long the "walk the ids in order" plan may take before the search asks the indexes instead.
FAST_PLAN_MS = 15


def _first_by_id(qs: QuerySet[Product], n: int, *, narrow: bool) -> list[Product]:
    """The first `n` rows by id, with a plan that suits how many rows match.

    PostgreSQL walks the primary key and filters, which is quick when many rows match and slow
    when few or none do: it cannot tell from word statistics. So the walk gets FAST_PLAN_MS;
    past that, the words are rare, and ordering by `id + 0` makes it collect the matches from
    the name and sync indexes first and sort those. Both plans give the same rows.
    """
    if connection.vendor != "postgresql" or not narrow:
        return list(qs.order_by("id")[:n])
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(FAST_PLAN_MS)}")
            page = list(qs.order_by("id")[:n])
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = DEFAULT")
            return page
    except OperationalError as exc:
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
    return list(qs.order_by(ExpressionWrapper(F("id") + 0, output_field=BigIntegerField()))[:n])


def product_attach_states(*, products: list[Product]) -> list[Product]:
    """Set `sync_state` (the CitrusAd SyncState or None) on each product, in one query."""
    states = {
        s.object_id: s
        for s in SyncState.objects.filter(
            destination=CITRUSAD,
            kind=SyncKind.PRODUCT,
            object_id__in=[p.pk for p in products],
        )
    }
    for product in products:
        product.sync_state = states.get(product.pk)
    return products


def product_get(*, product_id: int) -> Product | None:
    """One product with its catalog and `sync_state` attached (two queries)."""
    product = Product.objects.select_related("catalog").filter(pk=product_id).first()
    if product is not None:
        product_attach_states(products=[product])
    return product


# --- Customers and orders -------------------------------------------------------------------


def customer_search(
    *, q: str = "", after_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Customer], int | None]:
    """Customers by exact id, email or phone, or by name words."""
    qs = Customer.objects.all()
    q = q.strip()
    if q:
        exact = Q(external_id=q) | Q(email__iexact=q) | Q(phone_number=q)
        words = Q()
        for word in q.split()[:4]:
            words &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        qs = qs.filter(exact | words)
    if after_id:
        qs = qs.filter(id__gt=after_id)
    page = list(qs.order_by("id")[: limit + 1])
    next_id = page[limit - 1].id if len(page) > limit else None
    return page[:limit], next_id


def order_search(
    *, q: str = "", after_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Order], int | None]:
    """Orders by order id (exact or prefix) or customer id."""
    qs = Order.objects.annotate(item_count=Count("items"))
    q = q.strip()
    if q:
        qs = qs.filter(Q(order_id__startswith=q) | Q(customer_id=q))
    if after_id:
        qs = qs.filter(id__gt=after_id)
    page = list(qs.order_by("id")[: limit + 1])
    next_id = page[limit - 1].id if len(page) > limit else None
    return page[:limit], next_id


# --- Catalogs and audit ---------------------------------------------------------------------


def catalog_list() -> list[Catalog]:
    """Every catalog with its product count and CitrusAd `sync_state` (two queries)."""
    catalogs = list(Catalog.objects.annotate(product_count=Count("products")).order_by("name"))
    states = sync_state_for(kind=SyncKind.CATALOG, object_ids=[c.pk for c in catalogs])
    for catalog in catalogs:
        catalog.sync_state = states.get(catalog.pk, {}).get(CITRUSAD)
    return catalogs


def audit_event_list(
    *,
    actor: str = "",
    action: str = "",
    object_kind: str = "",
    object_id: str = "",
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[AuditEvent], int | None]:
    qs = AuditEvent.objects.all()
    if actor:
        qs = qs.filter(actor_name=actor)
    if action:
        qs = qs.filter(action=action)
    if object_kind:
        qs = qs.filter(object_kind=object_kind)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    page = list(qs.order_by("-id")[: limit + 1])
    next_id = page[limit - 1].id if len(page) > limit else None
    return page[:limit], next_id


def audit_event_for(*, object_kind: str, object_id: str | int, limit: int = 20) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_kind=object_kind, object_id=str(object_id)).order_by(
            "-id"
        )[:limit]
    )


# --- Operators ------------------------------------------------------------------------------


def sync_batch_recent_stats(*, minutes: int = 60) -> list[dict]:
    """Per destination, kind and outcome over the last `minutes`: count, mean and max latency."""
    since = timezone.now() - datetime.timedelta(minutes=minutes)
    return list(
        SyncBatch.objects.filter(created_at__gte=since)
        .values("destination", "kind", "outcome")
        .annotate(n=Count("id"), mean_ms=Avg("duration_ms"), max_ms=Max("duration_ms"))
        .order_by("destination", "kind", "outcome")
    )


def customer_get(*, customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()


def order_get(*, order_id: int) -> Order | None:
    return Order.objects.prefetch_related("items").filter(pk=order_id).first()


# --- Live check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldComparison:
    field: str
    local: object
    remote: object
    differs: bool


@dataclass(frozen=True)
class LiveComparison:
    state: str  # "found", "not_found" (not ingested yet) or "error"
    message: str = ""
    rows: list[FieldComparison] = field(default_factory=list)
    checked_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def differences(self) -> int:
        return sum(1 for row in self.rows if row.differs)


def _comparable(value):
    # CitrusAd answers prices as numbers and we send strings; empty and null lists are the same
    # to CitrusAd ("empty or null values for groups and profit can be ignored").
    if value in (None, "", []):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        try:
            return Decimal(value).normalize()
        except ArithmeticError:
            return value
    return value


def product_live_comparison(*, product: Product) -> LiveComparison:
    """Ask CitrusAd now for one product and compare it field by field with what we would send."""
    from syncs.destinations import DestinationNotConfigured, destination_client
    from syncs.remotes import NotFoundError, RemoteError
    from syncs.remotes import payloads as wire

    if not product.catalog.citrusad_id:
        return LiveComparison(
            state="error", message="Its catalog has no CitrusAd id yet, so CitrusAd cannot have it."
        )
    try:
        result = destination_client(CITRUSAD).get_catalog_product(
            catalog_id=product.catalog.citrusad_id, gtin=product.gtin, seller_id=product.seller_id
        )
    except NotFoundError:
        return LiveComparison(state="not_found")
    except DestinationNotConfigured as exc:
        return LiveComparison(state="error", message=str(exc))
    except RemoteError as exc:
        return LiveComparison(state="error", message=f"CitrusAd did not answer usefully: {exc}")
    remote = result.items[0]
    local = wire.catalog_product_payload(product)
    rows = []
    for key in [*local, *(k for k in remote if k not in local)]:
        local_value, remote_value = local.get(key), remote.get(key)
        rows.append(
            FieldComparison(
                field=key,
                local="—" if local_value is None else local_value,
                remote="—" if remote_value is None else remote_value,
                differs=key in local and _comparable(local_value) != _comparable(remote_value),
            )
        )
    return LiveComparison(state="found", rows=rows)


# --- Imports --------------------------------------------------------------------------------


def import_job_list(
    *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[ImportJob], int | None]:
    qs = ImportJob.objects.select_related("catalog", "created_by")
    if before_id:
        qs = qs.filter(id__lt=before_id)
    page = list(qs.order_by("-id")[: limit + 1])
    next_id = page[limit - 1].id if len(page) > limit else None
    return page[:limit], next_id


def import_job_get(*, job_id: int) -> ImportJob | None:
    return ImportJob.objects.select_related("catalog", "created_by").filter(pk=job_id).first()


def import_job_follow_up(*, job: ImportJob) -> ImportJob | None:
    """The real import started from this dry run (or safeguard stop), if there is one."""
    return (
        ImportJob.objects.filter(file_path=job.file_path, id__gt=job.id)
        .exclude(status=ImportStatus.CANCELLED)
        .order_by("id")
        .first()
    )
