import threading

import pytest
from django.urls import reverse

from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db


def test_healthz_needs_no_login_and_reports_each_part(client, settings):
    settings.CITRUSAD_BASE_URL = ""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["database"] == "ok" and body["broker"] == "ok"
    assert body["destinations"]["citrusad"] == "not_configured"


def test_healthz_says_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"


def test_metrics_are_off_without_a_token_and_closed_to_a_wrong_one(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(reverse("metrics")).status_code == 404
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get(reverse("metrics")).status_code == 401
    wrong = client.get(reverse("metrics"), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "s3cret-token" not in wrong.content.decode()


def test_metrics_in_prometheus_text_format(client, settings, product, customer):
    settings.METRICS_TOKEN = "s3cret-token"
    make_state(product, kind="product", status="pending")
    make_state(customer, kind="customer", status="failed", destination="custobar")
    make_batch(keys=[product.gtin], duration_ms=250)
    response = client.get(reverse("metrics"), headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert 'citrusadmin_sync_rows{destination="citrusad",kind="product",status="pending"} 1' in text
    assert 'citrusadmin_sync_rows{destination="custobar",kind="customer",status="failed"} 1' in text
    assert 'citrusadmin_sync_lag_seconds{destination="citrusad",kind="product"}' in text
    assert (
        'citrusadmin_pushes_last_hour{destination="citrusad",kind="product",outcome="ok"} 1' in text
    )
    assert 'stat="max"} 0.250' in text
    assert "# TYPE citrusadmin_sync_rows gauge" in text


# --- /healthz never hangs ---------------------------------------------------------------


def _get_with_deadline(client, url, seconds=20):
    """The request in a thread: a hang fails the test instead of stalling the suite."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("r", client.get(url)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{url} did not answer within {seconds} s"
    return result["r"]


def test_healthz_answers_503_naming_a_redis_that_accepts_and_never_replies(
    client, settings, silent_server
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_server.port}/0"
    settings.HEALTHZ_TIMEOUT = 1.0
    response = _get_with_deadline(client, reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["broker"] in ("timed out", "unavailable")
    assert silent_server.accepted >= 1, "the check really talked to the silent server"


def test_a_check_that_never_returns_is_reported_as_timed_out(client, settings, monkeypatch):
    from syncs.services import health

    settings.HEALTHZ_TIMEOUT = 0.3
    release = threading.Event()
    monkeypatch.setitem(health.CHECKS, "broker", lambda: release.wait(30))
    try:
        response = _get_with_deadline(client, reverse("healthz"))
    finally:
        release.set()
    assert response.status_code == 503 and response.json()["broker"] == "timed out"


def test_the_file_broker_check_is_real(client, settings, tmp_path):
    folder = tmp_path / "broker"
    folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
    }
    assert client.get(reverse("healthz")).json()["broker"] == "ok"
    folder.rmdir()
    response = client.get(reverse("healthz"))
    assert response.status_code == 503 and response.json()["broker"] == "unavailable"


def test_healthz_over_plain_http_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 301  # everything else still is


# --- nothing else hangs on a silent Redis or database -------------------------------------


def test_enqueueing_a_drain_gives_up_on_a_silent_redis(settings, silent_server):
    from syncs.services import dispatch

    settings.REDIS_URL = f"redis://127.0.0.1:{silent_server.port}/0"
    settings.REDIS_READ_TIMEOUT = 0.5
    dispatch.redis_client.cache_clear()
    result = {}
    try:
        thread = threading.Thread(
            target=lambda: result.setdefault(
                "sent", dispatch.drain_enqueue(destination="citrusad", kind="product")
            ),
            daemon=True,
        )
        thread.start()
        thread.join(20)
        assert not thread.is_alive(), "drain_enqueue hung on a silent Redis"
    finally:
        dispatch.redis_client.cache_clear()
    assert result["sent"] is False
    assert silent_server.accepted >= 1


def test_the_broker_connection_has_socket_timeouts(settings):
    from citrusadmin.celery import app

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("the test suite runs on Redis")
    options = app.conf.broker_transport_options
    assert options["socket_timeout"] == settings.REDIS_READ_TIMEOUT
    assert options["socket_connect_timeout"] == settings.REDIS_CONNECT_TIMEOUT
    assert app.conf.broker_connection_timeout == settings.REDIS_CONNECT_TIMEOUT


def test_web_requests_sql_stops_at_the_statement_timeout(client, admin_user, settings, rf):
    from django.db import OperationalError, connections

    from syncs.middleware import StatementTimeoutMiddleware

    settings.DATABASE_STATEMENT_TIMEOUT = 0.2
    client.force_login(admin_user)
    client.get(reverse("home"))  # the web handler is loaded: its connections are limited
    seen = {}

    def in_a_new_connection():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SHOW statement_timeout")
                seen["setting"] = cursor.fetchone()[0]
                cursor.execute("SELECT pg_sleep(2)")
        except OperationalError as exc:
            seen["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=in_a_new_connection)
    thread.start()
    thread.join(20)
    assert seen["setting"] == "200ms"
    answer = StatementTimeoutMiddleware(lambda r: None).process_exception(
        rf.get("/"), seen["error"]
    )
    assert answer.status_code == 503 and b"took too long" in answer.content
