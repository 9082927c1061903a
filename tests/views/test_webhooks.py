"""The Webhooks page: admins only, the secret shown once (never cached), clear messages."""

import pytest
from django.urls import reverse

from syncs.models import AuditEvent, SyncState, WebhookEndpoint
from syncs.services.webhooks import webhook_endpoint_create

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Shop",
    "url": "https://shop.example.com/hooks",
    "kinds": ["product"],
    "enabled": "on",
}


@pytest.fixture
def endpoint(admin_user):
    created, _secret = webhook_endpoint_create(
        name="Warehouse", url="https://wh.example.com/in", kinds=["order"], enabled=True,
        actor=admin_user,
    )  # fmt: skip
    return created


def test_anonymous_is_sent_to_log_in_and_other_roles_are_refused(client, support):
    assert client.get(reverse("webhook_list")).status_code == 302
    client.force_login(support)
    assert client.get(reverse("webhook_list")).status_code == 403
    assert client.post(reverse("webhook_create"), GOOD).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_wrong_methods_are_405(client, admin_user, endpoint):
    client.force_login(admin_user)
    assert client.post(reverse("webhook_list")).status_code == 405
    assert client.get(reverse("webhook_create")).status_code == 405
    assert client.get(reverse("webhook_rotate", args=[endpoint.pk])).status_code == 405


def test_adding_an_endpoint_shows_its_secret_once_and_never_caches_it(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("webhook_create"), GOOD)
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    (secret,) = endpoint.signing_secrets()
    assert secret in response.content.decode()
    assert secret not in endpoint.secret_encrypted  # stored encrypted only
    assert "no-store" in response["Cache-Control"]
    page = client.get(reverse("webhook_list"))
    assert page.status_code == 200 and "Shop" in page.content.decode()
    assert secret not in page.content.decode()
    assert endpoint.secret_encrypted not in page.content.decode()
    event = AuditEvent.objects.get(action="webhook.create")
    assert secret not in str(event.after) and endpoint.secret_encrypted not in str(event.after)


def test_bad_input_is_a_message_and_changes_nothing(client, admin_user):
    client.force_login(admin_user)
    for bad in (
        {**GOOD, "url": "ftp://shop.example.com"},
        {**GOOD, "url": "not a url"},
        {**GOOD, "kinds": ["catalog"]},
        {**GOOD, "kinds": []},
        {**GOOD, "name": ""},
    ):
        response = client.post(reverse("webhook_create"), bad)
        assert response.status_code == 400, bad
        assert 'role="alert"' in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_htmx_render_is_the_page_too(client, admin_user, endpoint):
    client.force_login(admin_user)
    response = client.get(reverse("webhook_list"), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Warehouse" in response.content.decode()


def test_rotate_needs_the_box_ticked_and_shows_the_new_secret_once(client, admin_user, endpoint):
    client.force_login(admin_user)
    (old,) = endpoint.signing_secrets()
    assert client.post(reverse("webhook_rotate", args=[endpoint.pk])).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.signing_secrets() == [old]
    response = client.post(reverse("webhook_rotate", args=[endpoint.pk]), {"confirm": "on"})
    endpoint.refresh_from_db()
    new, previous = endpoint.signing_secrets()
    assert new != old and previous == old
    assert new in response.content.decode() and old not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_without_a_key_adding_or_rotating_is_a_message(client, admin_user, endpoint, settings):
    settings.STORED_SECRETS_KEYS = []
    client.force_login(admin_user)
    response = client.post(reverse("webhook_create"), GOOD)
    assert response.status_code == 400 and "Set STORED_SECRETS_KEY" in response.content.decode()
    assert list(WebhookEndpoint.objects.values_list("name", flat=True)) == ["Warehouse"]
    response = client.post(
        reverse("webhook_rotate", args=[endpoint.pk]), {"confirm": "on"}, follow=True
    )
    assert response.status_code == 200
    assert "No new secret: Set STORED_SECRETS_KEY" in response.content.decode()


def test_change_and_remove(client, admin_user, endpoint):
    client.force_login(admin_user)
    data = {"name": "Warehouse", "url": "https://wh.example.com/v2", "kinds": ["order", "customer"]}
    assert client.post(reverse("webhook_update", args=[endpoint.pk]), data).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url.endswith("/v2") and not endpoint.enabled
    assert endpoint.kinds == ["customer", "order"]
    response = client.post(reverse("webhook_delete", args=[endpoint.pk]), {"confirm": "on"})
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert not SyncState.objects.filter(destination=endpoint.destination_name).exists()
    assert client.post(reverse("webhook_delete", args=[endpoint.pk])).status_code == 404


def test_an_endpoint_whose_secret_no_key_decrypts_says_so(client, admin_user, endpoint, settings):
    from cryptography.fernet import Fernet

    client.force_login(admin_user)
    assert "secret unreadable" not in client.get(reverse("webhook_list")).content.decode()
    settings.STORED_SECRETS_KEYS = [Fernet.generate_key().decode()]  # the old key is gone
    page = client.get(reverse("webhook_list")).content.decode()
    assert "secret unreadable" in page and "rotate the secret below" in page
    response = client.post(reverse("webhook_rotate", args=[endpoint.pk]), {"confirm": "on"})
    assert response.status_code == 200
    assert "secret unreadable" not in client.get(reverse("webhook_list")).content.decode()
