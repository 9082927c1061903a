import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders_with_labelled_fields(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert "csrfmiddlewaretoken" in html


def test_a_user_logs_in_and_sees_the_overview(client, merchandiser):
    response = client.post(
        reverse("login"), {"username": merchandiser.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert "CitrusAd" in page.content.decode()


def test_wrong_password_says_so_without_a_500(client, merchandiser):
    response = client.post(
        reverse("login"), {"username": merchandiser.username, "password": "nope"}
    )
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_logout_needs_post(client, merchandiser):
    client.force_login(merchandiser)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_home_rejects_post(client, merchandiser):
    client.force_login(merchandiser)
    assert client.post(reverse("home")).status_code == 405


def test_pages_carry_a_content_security_policy(client, merchandiser):
    client.force_login(merchandiser)
    response = client.get(reverse("home"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
