"""Console users with their role, lock-out and second-factor state, for the Users page."""

from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from syncs.roles import user_role

User = get_user_model()


@dataclass
class UserRow:
    user: AbstractBaseUser
    role: str
    locked: bool
    second_factor: bool


def _recent_failures():
    """Failed logins inside the cool-off window, as django-axes counts them."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(attempt_time__gte=since)


def _locked(field: str) -> set[str]:
    return set(
        _recent_failures()
        .values(field)
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list(field, flat=True)
    )


def locked_addresses() -> list[str]:
    return sorted(address for address in _locked("ip_address") if address)


def user_rows() -> list[UserRow]:
    """Every user, by name; a few queries whatever the count."""
    users = list(User.objects.order_by("username").prefetch_related("groups"))
    locked = _locked("username")
    with_factor = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    return [
        UserRow(user, user_role(user), user.get_username() in locked, user.pk in with_factor)
        for user in users
    ]


def user_row(*, user_id: int) -> UserRow | None:
    user = User.objects.filter(pk=user_id).prefetch_related("groups").first()
    if user is None:
        return None
    locked = user.get_username() in _locked("username")
    factor = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return UserRow(user, user_role(user), locked, factor)
