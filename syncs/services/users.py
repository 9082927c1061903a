"""Console users: the three roles, activation, passwords, lock-outs and second factors.

Two rules hold for every change: nobody hands out a role with a right they do not hold
themselves, and only a superuser changes a superuser (in /admin/). Each change is audited;
passwords and reset links never are.
"""

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from syncs.roles import ROLE_PERMISSIONS, ROLES, user_role
from syncs.services.audit import audit_event_record, audit_user_event_record
from syncs.services.second_factor import second_factor_remove

User = get_user_model()


def roles_grantable_by(actor: AbstractBaseUser) -> list[str]:
    """The roles whose every permission the actor holds."""
    return [
        role
        for role in ROLES
        if actor.is_superuser or all(actor.has_perm(name) for name in ROLE_PERMISSIONS[role])
    ]


def _check_may_change(actor: AbstractBaseUser, user: AbstractBaseUser, *, self_ok: bool) -> None:
    if not actor.has_perm("auth.change_user"):
        raise PermissionDenied("This needs the admin role. Ask an admin if you need it.")
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied("Only a superuser can change a superuser (in /admin/).")
    if user.pk == actor.pk and not self_ok:
        raise PermissionDenied("You cannot change your own role or access; ask another admin.")


def _check_may_grant(actor: AbstractBaseUser, role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"Choose one of the roles: {', '.join(ROLES)}.")
    if role not in roles_grantable_by(actor):
        raise PermissionDenied(f"You cannot give the {role} role: it has rights you do not hold.")


def _set_role_groups(user, role: str) -> None:
    """Leave the user in exactly one role's group; other groups are a superuser's business."""
    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
    user.groups.add(Group.objects.get(name=role))


def user_create(
    *, username: str, email: str, role: str, password: str, actor: AbstractBaseUser
) -> AbstractBaseUser:
    """A new console user with one role; without a password they cannot log in until they
    set one through a reset link."""
    if not actor.has_perm("auth.add_user"):
        raise PermissionDenied("This needs the admin role. Ask an admin if you need it.")
    _check_may_grant(actor, role)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(f"A user named {username!r} already exists.")
    candidate = User(username=username, email=email)
    if password:
        validate_password(password, user=candidate)
    elif not email:
        raise ValidationError("Give a password, or an email address to send a password link to.")
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password or None)
        _set_role_groups(user, role)
        audit_user_event_record(
            actor=actor, action="user.create", user=user, after={"role": role, "email": email}
        )
    return user


def user_set_role(*, user: AbstractBaseUser, role: str, actor: AbstractBaseUser) -> bool:
    """Give the user this role instead of the one they had; False when they had it already."""
    _check_may_change(actor, user, self_ok=False)
    _check_may_grant(actor, role)
    before = user_role(user)
    if before == role:
        return False
    with transaction.atomic():
        _set_role_groups(user, role)
        audit_user_event_record(
            actor=actor,
            action="user.role",
            user=user,
            before={"role": before},
            after={"role": role},
        )
    return True


def user_set_active(*, user: AbstractBaseUser, active: bool, actor: AbstractBaseUser) -> bool:
    """Deactivate (the user's sessions stop working at once) or reactivate an account."""
    _check_may_change(actor, user, self_ok=False)
    if user.is_active == active:
        return False
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active)
        user.is_active = active
        action = "user.activate" if active else "user.deactivate"
        audit_user_event_record(
            actor=actor,
            action=action,
            user=user,
            before={"active": not active},
            after={"active": active},
        )
    return True


def user_set_password(*, user: AbstractBaseUser, password: str, actor: AbstractBaseUser) -> None:
    """Set a new password; the user's other sessions end (Django checks the password hash)."""
    _check_may_change(actor, user, self_ok=True)
    validate_password(password, user=user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_user_event_record(actor=actor, action="user.set_password", user=user)


def user_send_password_link(
    *, user: AbstractBaseUser, actor: AbstractBaseUser, domain: str, use_https: bool
) -> None:
    """Email the user a link to choose a new password (Django's password reset tokens)."""
    _check_may_change(actor, user, self_ok=True)
    if not user.is_active:
        raise ValidationError("This account is deactivated: activate it first.")
    if not user.email:
        raise ValidationError("This user has no email address: set a password instead.")
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": "citrusadmin",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
        "timeout_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    # Raises smtplib.SMTPException / OSError when the mail server refuses: the view says so.
    PasswordResetForm().send_mail(
        "registration/password_reset_subject.txt",
        "registration/password_reset_email.txt",
        context,
        None,
        user.email,
    )
    audit_user_event_record(
        actor=actor, action="user.password_link", user=user, after={"email": user.email}
    )


def user_unlock(*, user: AbstractBaseUser, actor: AbstractBaseUser) -> int:
    """Forget the user's failed logins, so a locked-out user can log in again now."""
    _check_may_change(actor, user, self_ok=True)
    removed = axes_reset(username=user.get_username())
    audit_user_event_record(
        actor=actor, action="user.unlock", user=user, after={"failed_logins_cleared": removed}
    )
    return removed


def address_unlock(*, address: str, actor: AbstractBaseUser) -> int:
    """Forget the failed logins from one address (an office behind one address, say)."""
    if not actor.has_perm("auth.change_user"):
        raise PermissionDenied("This needs the admin role. Ask an admin if you need it.")
    removed = axes_reset(ip=address)
    audit_event_record(
        actor=actor,
        action="address.unlock",
        object_kind="address",
        object_id=address[:100],
        after={"failed_logins_cleared": removed},
    )
    return removed


def user_second_factor_reset(*, user: AbstractBaseUser, actor: AbstractBaseUser) -> int:
    """Remove the user's authenticator (a lost phone); they set up a new one when required."""
    _check_may_change(actor, user, self_ok=True)
    return second_factor_remove(user=user, actor=actor)
