"""A row's field history: which import (or revert) or which person changed which field, when,
from what to what. Imports keep their changes as ImportChange rows, people's actions are in the
audit log; both are read here and merged newest first."""

import datetime
from dataclasses import dataclass

from syncs.imports import rows as R
from syncs.imports.summary import shown
from syncs.models import AuditEvent, ImportChange, ImportJob, ImportKind, SyncKind

_IMPORT_KINDS = {
    SyncKind.PRODUCT: ImportKind.PRODUCTS,
    SyncKind.CUSTOMER: ImportKind.CUSTOMERS,
    SyncKind.ORDER: ImportKind.ORDERS,
}
# Fields shown by the CSV column a person imports them with.
_COLUMNS = {
    SyncKind.PRODUCT: {
        **{field: header for header, field in R.PRODUCT_COLUMNS.items()},
        "restore_inventory": "restore puts back",  # not a column: what a stock-out keeps
    },
    SyncKind.CUSTOMER: R.customer_field_columns(("company_fields", "targeting_data")),
    SyncKind.ORDER: {field: header for header, field in R.ORDER_COLUMNS.items()},
}


@dataclass(frozen=True)
class FieldChange:
    when: datetime.datetime | None
    who: str  # the person, or "" for the system (the command, a feed)
    job: ImportJob | None  # the import or revert that made it; None: a person's action
    action: str  # for a person's action: the audit action (product.update, …)
    field: str  # "" for "created by the import"
    old: str
    new: str

    @property
    def source(self) -> str:
        if self.job is None:
            return self.action
        if self.job.reverts_id:
            return f"revert of import #{self.job.reverts_id}"
        return f"import #{self.job.pk}"


def field_history_list(*, kind: str, object_id: int, limit: int = 50) -> list[FieldChange]:
    """The latest field changes of one product, customer or order (`kind`: a SyncKind)."""
    columns = _COLUMNS[kind]
    entries: list[FieldChange] = []
    changes = (
        ImportChange.objects.filter(object_id=object_id, job__kind=_IMPORT_KINDS[kind])
        .select_related("job", "job__created_by")
        .order_by("-job_id")[:limit]
    )
    for change in changes:
        job = change.job
        when = job.finished_at or job.started_at
        who = job.created_by.get_username() if job.created_by else ""
        if change.created:
            entries.append(FieldChange(when, who, job, "", "", "", "created"))
            continue
        before = change.before or {}
        for name, value in (change.after or {}).items():
            entries.append(
                FieldChange(
                    when,
                    who,
                    job,
                    "",
                    columns.get(name, name),
                    shown(before.get(name)),
                    shown(value),
                )
            )
    events = AuditEvent.objects.filter(object_kind=kind, object_id=str(object_id)).order_by("-id")
    for event in events[:limit]:
        before = event.before or {}
        for name, value in (event.after or {}).items():
            entries.append(
                FieldChange(
                    event.created_at,
                    event.actor_name,
                    None,
                    event.action,
                    columns.get(name, name),
                    shown(before.get(name)),
                    shown(value),
                )
            )
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    entries.sort(key=lambda entry: entry.when or epoch, reverse=True)
    return entries[:limit]
