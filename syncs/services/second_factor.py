"""Two-factor sign-in with an authenticator app (TOTP, django-otp).

Who must give a second code is decided once, at login, and kept in the session: users with a
confirmed authenticator always, and users with the admin role without one when the access policy
requires it (they set one up before anything else). SecondFactorMiddleware holds them on those
two pages until done.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from syncs.models import AccessPolicy
from syncs.roles import ADMIN, user_role
from syncs.services.audit import audit_event_record, audit_user_event_record

SESSION_KEY = "second_factor_step"
VERIFY, SET_UP = "verify", "set_up"
_POLICY_CACHE_KEY = "access-policy"


def access_policy_get() -> AccessPolicy:
    policy = cache.get(_POLICY_CACHE_KEY)
    if policy is None:
        policy, _ = AccessPolicy.objects.get_or_create(pk=1)
        cache.set(_POLICY_CACHE_KEY, policy, 60)
    return policy


def access_policy_set(*, admins_need_second_factor: bool, actor: AbstractBaseUser) -> bool:
    """Require (or stop requiring) a second factor for the admin role, from each next login."""
    if not actor.has_perm("auth.change_user"):
        raise PermissionDenied("This needs the admin role. Ask an admin if you need it.")
    with transaction.atomic():
        policy, _ = AccessPolicy.objects.select_for_update().get_or_create(pk=1)
        if policy.admins_need_second_factor == admins_need_second_factor:
            return False
        policy.admins_need_second_factor = admins_need_second_factor
        policy.save()
        audit_event_record(
            actor=actor,
            action="policy.second_factor",
            object_kind="policy",
            object_id=policy.pk,
            before={"admins_need_second_factor": not admins_need_second_factor},
            after={"admins_need_second_factor": admins_need_second_factor},
        )
    cache.delete(_POLICY_CACHE_KEY)
    return True


def second_factor_step(*, user: AbstractBaseUser) -> str:
    """What a user who just gave the right password must still do: VERIFY, SET_UP or ""."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return VERIFY
    if access_policy_get().admins_need_second_factor and user_role(user) == ADMIN:
        return SET_UP
    return ""


def second_factor_has(*, user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed authenticator the user is scanning, made once per setup."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def second_factor_confirm(*, user: AbstractBaseUser, token: str) -> bool:
    """Confirm the authenticator being set up with a code from it; it replaces any other."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_user_event_record(actor=user, action="user.second_factor_on", user=user)
    return True


def second_factor_verify(*, user: AbstractBaseUser, token: str) -> bool:
    """Check a login code; django-otp slows down repeated wrong codes on its own."""
    return any(
        device.verify_is_allowed()[0] and device.verify_token(token)
        for device in TOTPDevice.objects.filter(user=user, confirmed=True)
    )


def second_factor_remove(*, user: AbstractBaseUser, actor: AbstractBaseUser) -> int:
    """Remove a user's authenticators (a lost phone); called through user_second_factor_reset."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        audit_user_event_record(actor=actor, action="user.second_factor_off", user=user)
    return removed
