"""The audit log: who did what to which object."""

from syncs.models import AuditEvent
from syncs.selectors.pagination import PAGE_SIZE, keyset_page


def audit_event_list(
    *,
    actor: str = "",
    action: str = "",
    object_kind: str = "",
    object_id: str = "",
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[AuditEvent], int | None]:
    """Events newest first, filtered; returns the page and the `before_id` of the next."""
    given = {
        "actor_name": actor,
        "action": action,
        "object_kind": object_kind,
        "object_id": object_id,
    }
    qs = AuditEvent.objects.filter(**{name: value for name, value in given.items() if value})
    return keyset_page(qs, cursor=before_id, limit=limit, newest_first=True)


def audit_event_for(*, object_kind: str, object_id: str | int, limit: int = 20) -> list[AuditEvent]:
    """The latest events about one object, for its page."""
    return list(
        AuditEvent.objects.filter(object_kind=object_kind, object_id=str(object_id)).order_by(
            "-id"
        )[:limit]
    )
