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
    from citrusadmin.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get(reverse("healthz"))
    finally:
        app.conf.broker_url = old
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
