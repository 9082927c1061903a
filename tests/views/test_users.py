"""The Users page and /admin/: admins manage users without ever being able to raise rights."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from syncs.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
STRONG = "a-long-enough-passphrase-42"


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", STRONG)


# --- /admin/ is for superusers only -------------------------------------------------------


@pytest.mark.parametrize("role", ["merchandiser", "support", "admin"])
def test_no_role_can_open_the_django_admin(client, role):
    user = UserFactory(role=role)
    user.is_staff = True  # even a staff flag left over from before does not open it
    user.save()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/auth/user/").status_code == 302


def test_an_admin_cannot_make_itself_superuser_through_the_django_admin(client, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/auth/user/{admin_user.pk}/change/",
        {
            "username": admin_user.username,
            "is_superuser": "on",
            "is_staff": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser


def test_an_admin_cannot_change_a_superusers_password_through_the_django_admin(
    client, admin_user, superuser
):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    client.post(
        f"/admin/auth/user/{superuser.pk}/password/",
        {"password1": "taken-over-pass-99", "password2": "taken-over-pass-99"},
    )
    superuser.refresh_from_db()
    assert superuser.check_password(STRONG)


def test_a_superuser_opens_the_django_admin(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200


def test_the_nav_links_users_for_admins_and_the_django_admin_for_superusers(
    client, admin_user, superuser
):
    client.force_login(admin_user)
    html = client.get(reverse("home")).content.decode()
    assert reverse("user_list") in html and 'href="/admin/"' not in html
    client.force_login(superuser)
    assert 'href="/admin/"' in client.get(reverse("home")).content.decode()


# --- the Users page -----------------------------------------------------------------------


def test_admin_creates_a_user_with_a_role_who_can_then_log_in(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("user_list"),
        {"username": "maria", "email": "maria@example.org", "role": "support", "password": STRONG},
    )
    maria = User.objects.get(username="maria")
    assert response.status_code == 302 and response["Location"] == reverse(
        "user_detail", args=[maria.pk]
    )
    assert list(maria.groups.values_list("name", flat=True)) == ["support"]
    assert not maria.is_staff and not maria.is_superuser
    event = AuditEvent.objects.get(action="user.create")
    assert event.after == {"role": "support", "email": "maria@example.org"}
    assert STRONG not in str(event.before) + str(event.after)
    client.logout()
    assert (
        client.post(reverse("login"), {"username": "maria", "password": STRONG}).status_code == 302
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "x y", "role": "support", "password": STRONG}, "Enter a valid username"),
        ({"username": "bob", "role": "support", "password": "123"}, "too short"),
        ({"username": "bob", "role": "support"}, "or an email address"),
        ({"username": "bob", "role": "superuser", "password": STRONG}, "Select a valid choice"),
    ],
)
def test_a_bad_new_user_gets_a_message_and_nothing_is_created(client, admin_user, data, message):
    client.force_login(admin_user)
    before = User.objects.count()
    response = client.post(reverse("user_list"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == before


def test_a_user_added_without_a_password_gets_a_link_to_choose_one(client, admin_user, mailoutbox):
    client.force_login(admin_user)
    client.post(
        reverse("user_list"), {"username": "li", "email": "li@example.org", "role": "merchandiser"}
    )
    li = User.objects.get(username="li")
    assert not li.has_usable_password()
    (mail,) = mailoutbox
    assert mail.to == ["li@example.org"] and "li" in mail.body
    link = re.search(r"http://testserver(/reset/\S+/)", mail.body)[1]
    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "Choose a password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": STRONG, "new_password2": STRONG}
    )
    assert done.status_code == 302
    assert client.post(reverse("login"), {"username": "li", "password": STRONG}).status_code == 302
    # The link works once.
    assert "too old" in client.get(link, follow=True).content.decode()


def test_admin_changes_a_role_and_the_change_is_audited(client, admin_user, merchandiser):
    client.force_login(admin_user)
    response = client.post(reverse("user_role", args=[merchandiser.pk]), {"role": "support"})
    assert response.status_code == 302
    assert list(merchandiser.groups.values_list("name", flat=True)) == ["support"]
    event = AuditEvent.objects.get(action="user.role")
    assert (event.before, event.after) == ({"role": "merchandiser"}, {"role": "support"})


def test_deactivating_a_user_ends_their_session_at_once(client, admin_user, support):
    other = type(client)()
    other.force_login(support)
    assert other.get(reverse("customer_search")).status_code == 200
    client.force_login(admin_user)
    client.post(reverse("user_active", args=[support.pk]), {"value": ""})
    support.refresh_from_db()
    assert not support.is_active
    assert other.get(reverse("customer_search")).status_code == 302  # back to the login page
    client.post(reverse("user_active", args=[support.pk]), {"value": "on"})
    assert User.objects.get(pk=support.pk).is_active


def test_admin_sets_a_password_a_weak_one_is_refused(client, admin_user, merchandiser):
    client.force_login(admin_user)
    url = reverse("user_password", args=[merchandiser.pk])
    weak = client.post(url, {"password1": "password", "password2": "password"})
    assert weak.status_code == 400 and "too common" in weak.content.decode()
    differ = client.post(url, {"password1": STRONG, "password2": STRONG + "x"})
    assert differ.status_code == 400 and "differ" in differ.content.decode()
    assert client.post(url, {"password1": STRONG, "password2": STRONG}).status_code == 302
    merchandiser.refresh_from_db()
    assert merchandiser.check_password(STRONG)
    assert AuditEvent.objects.filter(action="user.set_password").count() == 1


def test_admin_sends_a_password_link(client, admin_user, merchandiser, mailoutbox):
    merchandiser.email = "m@example.org"
    merchandiser.save()
    client.force_login(admin_user)
    page = client.get(reverse("user_detail", args=[merchandiser.pk])).content.decode()
    assert "Send a password link</button>" in page and "disabled>Send" not in page
    client.post(reverse("user_password_link", args=[merchandiser.pk]))
    assert [m.to for m in mailoutbox] == [["m@example.org"]]
    assert "/reset/" in mailoutbox[0].body


def test_no_link_for_a_user_without_email(client, admin_user, merchandiser, mailoutbox):
    client.force_login(admin_user)
    response = client.post(reverse("user_password_link", args=[merchandiser.pk]), follow=True)
    assert "no email address" in response.content.decode()
    assert not mailoutbox


# --- nobody raises rights -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("user_role", {"role": "merchandiser"}),
        ("user_active", {"value": ""}),
        ("user_password", {"password1": STRONG, "password2": STRONG}),
        ("user_password_link", {}),
        ("user_second_factor_reset", {}),
    ],
)
def test_an_admin_cannot_touch_a_superuser(client, admin_user, superuser, name, data):
    client.force_login(admin_user)
    response = client.post(reverse(name, args=[superuser.pk]), data)
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.check_password(STRONG)
    page = client.get(reverse("user_detail", args=[superuser.pk])).content.decode()
    assert "changed only by a superuser" in page and 'action="/users/' not in page


def test_an_admin_cannot_change_its_own_role_or_deactivate_itself(client, admin_user):
    client.force_login(admin_user)
    assert (
        client.post(
            reverse("user_role", args=[admin_user.pk]), {"role": "merchandiser"}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("user_active", args=[admin_user.pk]), {"value": ""}).status_code == 403
    )
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.groups.get().name == "admin"


def test_nobody_grants_a_role_with_rights_they_do_not_hold(client):
    """A user manager with the user permissions alone may hand out no role at all."""
    manager = UserFactory()
    manager.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="auth",
            codename__in=["view_user", "add_user", "change_user"],
        )
    )
    target = UserFactory(role="merchandiser")
    client.force_login(manager)
    page = client.get(reverse("user_list")).content.decode()
    assert '<option value="admin"' not in page and '<option value="support"' not in page
    assert client.post(reverse("user_role", args=[target.pk]), {"role": "admin"}).status_code == 400
    response = client.post(
        reverse("user_list"), {"username": "eve", "role": "admin", "password": STRONG}
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="eve").exists()
    assert target.groups.get().name == "merchandiser"


@pytest.mark.parametrize("role", ["merchandiser", "support"])
def test_other_roles_cannot_use_the_users_page(client, role, merchandiser):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("user_list")).status_code == 403
    assert (
        client.post(reverse("user_role", args=[merchandiser.pk]), {"role": "admin"}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("user_list"), {"username": "x", "role": "admin", "password": STRONG}
        ).status_code
        == 403
    )
