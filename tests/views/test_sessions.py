"""Idle sessions end, signed-in pages are not cached, anonymous uploads are never read."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from syncs.models import ImportJob
from tests.factories import UserFactory
from tests.views.page_discovery import console_pages

pytestmark = pytest.mark.django_db
RIGHT = "correct-horse-battery"


def _session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_every_signed_in_page_and_the_error_file_are_sent_with_no_store(
    client, admin_user, product, tmp_path
):
    errors = tmp_path / "errors.csv"
    errors.write_text("gtin,error\n1,bad\n")
    job = ImportJob.objects.create(kind="products", file_path="x.csv", error_file_path=str(errors))
    client.force_login(admin_user)
    seen = 0
    for page in console_pages():
        values = {
            name: str(job.pk if page.name.startswith("import") else product.pk)
            for _conv, name in page.parameters
        }
        if any(conv not in ("id", "int") for conv, _ in page.parameters):
            continue
        response = client.get(page.path(values))
        if response.status_code == 200 and page.name not in ("healthz", "metrics"):
            seen += 1
            assert "no-store" in response["Cache-Control"], page.route
    assert seen > 15
    csv = client.get(reverse("import_errors_csv", args=[job.pk]))
    assert csv.status_code == 200 and "no-store" in csv["Cache-Control"]


def test_a_session_ends_after_the_idle_time(client, settings):
    settings.SESSION_COOKIE_AGE = 600
    user = UserFactory(role="merchandiser")
    client.post(reverse("login"), {"username": user.username, "password": RIGHT})
    expiry = _session(client).expire_date
    assert abs((expiry - timezone.now()) - datetime.timedelta(seconds=600)) < datetime.timedelta(
        seconds=30
    )
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(reverse("product_search"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    htmx = client.get(reverse("product_search"), headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith(reverse("login"))


def test_pages_renew_the_session_and_auto_refresh_does_not(client, settings):
    settings.SESSION_COOKIE_AGE = 600
    client.force_login(UserFactory(role="merchandiser"))
    soon = timezone.now() + datetime.timedelta(seconds=60)
    Session.objects.filter(pk=client.session.session_key).update(expire_date=soon)
    assert client.get(reverse("home"), headers={"HX-Request": "true"}).status_code == 200
    assert _session(client).expire_date == soon, "a poll is not activity"
    assert client.get(reverse("home")).status_code == 200
    assert _session(client).expire_date > soon + datetime.timedelta(seconds=400)


class RecordingUploadHandler(FileUploadHandler):
    """Notes every file Django starts to receive, then lets the default handlers do the rest."""

    received: list[str] = []

    def new_file(self, field_name, file_name, *args, **kwargs):
        RecordingUploadHandler.received.append(file_name)
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def recorded_uploads(settings, tmp_path):
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.views.test_sessions.RecordingUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.MEDIA_ROOT = tmp_path / "media"
    RecordingUploadHandler.received = []
    return RecordingUploadHandler.received


def _big_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("big.csv", b"catalogId,gtin,inventory\n" + b"c,1,1\n" * 600_000)


def test_an_anonymous_upload_is_refused_before_it_is_stored(recorded_uploads, tmp_path):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))  # a browser that saw the login page has the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("import_list"),
        {"kind": "products", "file": _big_csv(), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert recorded_uploads == []
    assert not any(tmp_path.iterdir())
    # The login page needs no login: its fields are read, a file in the body is dropped.
    user = UserFactory(role="merchandiser")
    login = Client()
    response = login.post(
        reverse("login"), {"username": user.username, "password": RIGHT, "file": _big_csv()}
    )
    assert response.status_code == 302 and "_auth_user_id" in login.session
    assert recorded_uploads == []
    assert not any(tmp_path.iterdir())


def test_an_upload_from_a_role_that_may_not_import_is_not_stored(recorded_uploads, merchandiser):
    client = Client(enforce_csrf_checks=True)  # the CSRF check is what would read the body
    client.force_login(merchandiser)
    client.get(reverse("home"))  # the CSRF cookie, as a browser has it
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("import_list"),
        {"kind": "products", "file": _big_csv(), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 403
    assert recorded_uploads == []


def test_a_signed_in_upload_is_received(recorded_uploads, admin_user):
    client = Client()
    client.force_login(admin_user)
    client.post(reverse("import_list"), {"kind": "products", "file": _big_csv(), "dry_run": "on"})
    assert recorded_uploads == ["big.csv"]
