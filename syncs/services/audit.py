from django.contrib.auth.models import AbstractBaseUser

from syncs.models import AuditEvent


def audit_event_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    object_kind: str,
    object_id: str | int,
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Write who did what to which object; `actor=None` means the system did it."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else "",
        action=action,
        object_kind=object_kind,
        object_id=str(object_id),
        object_repr=object_repr[:300],
        before=before,
        after=after,
    )


def audit_user_event_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    user: AbstractBaseUser,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """An event about a console user (role, access, password, second factor)."""
    return audit_event_record(
        actor=actor,
        action=action,
        object_kind="user",
        object_id=user.pk,
        object_repr=user.get_username(),
        before=before,
        after=after,
    )
