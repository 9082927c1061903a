"""Record that rows changed, so the sync engine pushes their latest state.

Every write path (edit, import, stock-out, delete, restore) bumps the row's `version` and then calls
`sync_state_mark_changed` in the same transaction: the SyncState's `wanted_version` becomes the
row's version and the row is pending for each destination that carries its kind.
"""

from collections.abc import Iterable
from itertools import islice

from django.db import connection
from django.utils import timezone

from syncs.models import (
    Catalog,
    Customer,
    DestinationName,
    Order,
    Priority,
    Product,
    SyncKind,
    SyncState,
)
from syncs.services.dispatch import drain_enqueue_after_commit

KIND_MODELS = {
    SyncKind.CATALOG: Catalog,
    SyncKind.PRODUCT: Product,
    SyncKind.CUSTOMER: Customer,
    SyncKind.ORDER: Order,
}

KIND_DESTINATIONS: dict[str, tuple[str, ...]] = {
    SyncKind.CATALOG: (DestinationName.CITRUSAD,),
    SyncKind.PRODUCT: (DestinationName.CITRUSAD,),
    SyncKind.CUSTOMER: (DestinationName.CITRUSAD, DestinationName.CUSTOBAR),
    SyncKind.ORDER: (DestinationName.CITRUSAD,),
}

_CHUNK = 5000

# One statement per chunk and destination: insert a pending state, or move an existing one to the
# row's current version. A row being pushed right now stays in_flight (its worker holds the claim);
# the worker sees wanted_version > sent_version when it finishes and leaves the row pending.
# Manual actions keep the higher priority (the lower number) until the row is pushed.
_UPSERT = """
INSERT INTO {state} (destination, kind, object_id, wanted_version, confirmed_version, status,
                     priority, changed_at, attempts, last_error)
SELECT %s, %s, r.id, r.version, 0, 'pending', %s, %s, 0, ''
FROM {rows} r WHERE r.id IN ({ids})
ON CONFLICT (destination, kind, object_id) DO UPDATE SET
    wanted_version = EXCLUDED.wanted_version,
    status = CASE WHEN {state}.status = 'in_flight' THEN 'in_flight' ELSE 'pending' END,
    priority = CASE WHEN EXCLUDED.priority < {state}.priority
                    THEN EXCLUDED.priority ELSE {state}.priority END,
    changed_at = EXCLUDED.changed_at,
    attempts = 0,
    next_attempt_at = NULL,
    first_failure_at = NULL,
    last_error = ''
WHERE {state}.wanted_version < EXCLUDED.wanted_version
"""


def sync_state_mark_changed(
    *, kind: str, object_ids: Iterable[int], priority: int = Priority.BULK
) -> int:
    """Make each row pending at its current version for every destination of its kind.

    Call inside the transaction that bumped the rows' versions. Returns the states touched.
    When it touched any, a push of `kind` is enqueued after the transaction commits (on the
    priority queue for manual actions), so no write path can forget to start one.
    """
    model = KIND_MODELS[SyncKind(kind)]
    now = timezone.now()
    touched = 0
    ids_iter = iter(object_ids)
    with connection.cursor() as cursor:
        while chunk := list(islice(ids_iter, _CHUNK)):
            sql = _UPSERT.format(
                state=SyncState._meta.db_table,
                rows=model._meta.db_table,
                ids=", ".join(["%s"] * len(chunk)),
            )
            for destination in KIND_DESTINATIONS[kind]:
                cursor.execute(sql, [destination, kind, int(priority), now, *chunk])
                touched += cursor.rowcount
    if touched:
        drain_enqueue_after_commit(
            destinations=KIND_DESTINATIONS[kind], kind=kind, manual=priority == Priority.MANUAL
        )
    return touched
