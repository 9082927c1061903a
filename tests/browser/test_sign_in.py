"""Users page, lock-out and the authenticator app, in Chromium, with their screenshots."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
NEW_PASSWORD = "orange-grove-velvet-42"


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():06d}"


def test_an_admin_adds_a_user_and_changes_the_role(console):
    admin = UserFactory(username="aino.admin", role="admin")
    UserFactory(username="mika.merch", role="merchandiser", email="mika@example.org")
    console.login(admin)
    page = console.page
    page.get_by_role("link", name="Users").click()
    page.get_by_label("User name").fill("maria.support")
    page.get_by_label("Email").fill("maria@example.org")
    page.get_by_label("Role", exact=True).select_option("support")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("maria.support can now log in as support.")).to_be_visible()
    page.get_by_label("Role", exact=True).select_option("merchandiser")
    page.get_by_role("button", name="Change role").click()
    expect(page.get_by_text("maria.support is now merchandiser.")).to_be_visible()
    console.screenshot("user-detail")
    console.go("/users/")
    expect(page.locator("#user-" + str(admin.pk))).to_contain_text("admin")
    console.screenshot("users")


def test_a_user_sets_up_an_authenticator_and_logs_in_with_it(console):
    user = UserFactory(username="sanna.support", role="support")
    console.login(user)
    page = console.page
    page.get_by_role("link", name="sanna.support").click()
    expect(page.locator(".qr svg")).to_be_visible()
    console.screenshot("second-factor-setup")
    device = TOTPDevice.objects.get(user=user)
    page.get_by_label("Code from your authenticator app").fill(_code(device))
    page.get_by_role("button", name="Turn it on").click()
    expect(page.get_by_text("Your authenticator app is set up")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill(_code(device, 1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Customers")).to_be_visible()


def test_too_many_wrong_passwords_show_the_lock_out_page(console, settings):
    user = UserFactory(username="olli.merch", role="merchandiser")
    page = console.page
    console.go("/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("User name").fill(user.username)
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many wrong passwords")).to_be_visible()
    console.screenshot("locked-out")
    # The lock-out page comes with HTTP 429, which Chromium logs; that one is meant.
    console.problems[:] = [p for p in console.problems if "status of 429" not in p]
