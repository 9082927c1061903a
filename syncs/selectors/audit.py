"""The audit log: who did what to which object."""

from syncs.models import AuditEvent
from syncs.selectors.pagination import FIRST_PAGE, Page, Paging, keyset_page

AUDIT_SORTS = ("-id", "id")


def audit_event_list(
    *,
    actor: str = "",
    action: str = "",
    object_kind: str = "",
    object_id: str = "",
    paging: Paging = FIRST_PAGE,
) -> Page[AuditEvent]:
    """Events newest first (or oldest), filtered."""
    given = {
        "actor_name": actor,
        "action": action,
        "object_kind": object_kind,
        "object_id": object_id,
    }
    qs = AuditEvent.objects.filter(**{name: value for name, value in given.items() if value})
    return keyset_page(qs, paging=paging, sorts=AUDIT_SORTS)


def audit_event_for(*, object_kind: str, object_id: str | int, limit: int = 20) -> list[AuditEvent]:
    """The latest events about one object, for its page."""
    return list(
        AuditEvent.objects.filter(object_kind=object_kind, object_id=str(object_id)).order_by(
            "-id"
        )[:limit]
    )
