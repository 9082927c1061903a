"""Login throttling (django-axes) and the second factor (django-otp TOTP)."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from syncs.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
RIGHT = "correct-horse-battery"


def _login(client, username, password, url="/login/", address="10.1.1.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():06d}"


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_user_out_even_with_the_right_one(client, settings, url):
    user = UserFactory(role="merchandiser")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, user.username, "wrong", url).status_code == 200
    assert _login(client, user.username, "wrong", url).status_code == 429  # the last straw
    locked = _login(client, user.username, RIGHT, url)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert (
        "Too many wrong passwords" in html and f"{settings.LOGIN_COOLOFF_MINUTES} minutes" in html
    )
    assert "_auth_user_id" not in client.session
    # Locked by user name: another address does not help.
    assert _login(Client(), user.username, RIGHT, url, address="10.9.9.9").status_code == 429


def test_repeated_failures_from_one_address_lock_that_address(client, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"guess{n}", "wrong")
    victim = UserFactory(role="merchandiser")
    assert _login(client, victim.username, RIGHT).status_code == 429
    # The same user from another address is fine.
    assert _login(Client(), victim.username, RIGHT, address="10.2.2.2").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, settings):
    user = UserFactory(role="merchandiser")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, RIGHT).status_code == 429
    past = timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _login(client, user.username, RIGHT).status_code == 302


def test_an_admin_unlocks_a_user_from_the_users_page(client, settings, admin_user):
    user = UserFactory(role="support")
    other = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(other, user.username, "wrong")
    client.force_login(admin_user)
    assert "locked out" in client.get(reverse("user_list")).content.decode()
    assert "Unlock now" in client.get(reverse("user_detail", args=[user.pk])).content.decode()
    client.post(reverse("user_unlock", args=[user.pk]))
    assert _login(Client(), user.username, RIGHT, address="10.3.3.3").status_code == 302
    assert AuditEvent.objects.filter(action="user.unlock", object_id=str(user.pk)).exists()


def test_an_admin_unlocks_an_address(client, settings, admin_user):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), f"guess{n}", "wrong", address="10.4.4.4")
    client.force_login(admin_user)
    assert "10.4.4.4" in client.get(reverse("user_list")).content.decode()
    client.post(reverse("address_unlock"), {"address": "10.4.4.4"})
    user = UserFactory(role="merchandiser")
    assert _login(Client(), user.username, RIGHT, address="10.4.4.4").status_code == 302


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw(settings, rf):
    from syncs.middleware import client_address

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7")
    assert client_address(request) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_address(request) == "192.0.2.7"


# --- the second factor --------------------------------------------------------------------


def _unthrottle(device: TOTPDevice) -> None:
    """django-otp makes the next try wait after a wrong code; a test does not wait."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )


def _set_up_authenticator(client) -> TOTPDevice:
    page = client.get(reverse("second_factor_setup"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(confirmed=False)
    assert client.post(reverse("second_factor_setup"), {"code": "000000"}).status_code == 400
    _unthrottle(device)
    assert client.post(reverse("second_factor_setup"), {"code": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_user_turns_on_an_authenticator_and_then_logins_ask_for_its_code(client):
    user = UserFactory(role="merchandiser")
    client.force_login(user)
    device = _set_up_authenticator(client)
    client.logout()

    assert _login(client, user.username, RIGHT).status_code == 302
    held = client.get(reverse("product_search"))
    assert held.status_code == 302 and held["Location"].startswith(reverse("second_factor_verify"))
    htmx = client.get(reverse("product_search"), headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith(reverse("second_factor_verify"))
    wrong = client.post(reverse("second_factor_verify"), {"code": "123456"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    _unthrottle(device)
    done = client.post(
        reverse("second_factor_verify"), {"code": _code(device, 1), "next": "/products/"}
    )
    assert done.status_code == 302 and done["Location"] == "/products/"
    assert client.get(reverse("product_search")).status_code == 200


def test_admins_can_require_a_second_factor_for_the_admin_role(client, admin_user):
    client.force_login(admin_user)
    client.post(reverse("second_factor_policy"), {"value": "on"})
    assert AuditEvent.objects.filter(action="policy.second_factor").exists()
    colleague = UserFactory(role="admin")
    merchandiser = UserFactory(role="merchandiser")

    other = Client()
    assert _login(other, colleague.username, RIGHT).status_code == 302
    held = other.get(reverse("import_list"))
    assert held["Location"].startswith(reverse("second_factor_setup"))
    assert "Admins must log in with a second factor" in other.get(held["Location"]).content.decode()
    _set_up_authenticator(other)
    assert other.get(reverse("import_list")).status_code == 200

    # Other roles are not asked.
    third = Client()
    _login(third, merchandiser.username, RIGHT, address="10.5.5.5")
    assert third.get(reverse("product_search")).status_code == 200


def test_an_admin_removes_a_lost_authenticator(client, admin_user):
    user = UserFactory(role="support")
    owner = Client()
    owner.force_login(user)
    _set_up_authenticator(owner)
    client.force_login(admin_user)
    assert (
        "Remove the second factor"
        in client.get(reverse("user_detail", args=[user.pk])).content.decode()
    )
    client.post(reverse("user_second_factor_reset", args=[user.pk]))
    assert not TOTPDevice.objects.filter(user=user).exists()
    fresh = Client()
    _login(fresh, user.username, RIGHT, address="10.6.6.6")
    assert fresh.get(reverse("customer_search")).status_code == 200
