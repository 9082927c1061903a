"""Destinations that are paused or cannot be reached: said on every page, with what to do."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from syncs.destinations import destination_clients_reset
from syncs.models import Destination, SyncBatch
from syncs.selectors.destinations import destination_reachability
from tests.factories import UserFactory
from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db


def _no_answer(minutes_ago: float = 1, error="Read timed out. (read timeout=30)"):
    batch = make_batch(keys=["x"], outcome="transient", status_code=None, error=error)
    when = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    SyncBatch.objects.filter(pk=batch.pk).update(created_at=when)
    return batch


def _delivered(minutes_ago: float):
    batch = make_batch(keys=["y"])
    when = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    SyncBatch.objects.filter(pk=batch.pk).update(created_at=when)
    return batch


def test_attempts_without_an_answer_and_none_answered_since_are_unreachable():
    _delivered(minutes_ago=30)
    _no_answer(minutes_ago=3)
    _no_answer(minutes_ago=1)
    (citrusad,) = destination_reachability(minutes=5)
    assert citrusad.unreachable and citrusad.failures == 2
    assert "timed out" in citrusad.last_error
    assert citrusad.last_success_at < citrusad.last_failure_at


def test_an_answer_after_the_timeouts_or_an_http_error_is_not_unreachable():
    _no_answer(minutes_ago=3)
    _delivered(minutes_ago=1)
    assert not destination_reachability(minutes=5)[0].unreachable
    make_batch(keys=["z"], outcome="transient", status_code=503)  # it answered: it is there
    assert all(not r.unreachable for r in destination_reachability(minutes=5))
    assert destination_reachability(minutes=1) == [], "older attempts are out of the window"


def test_the_dashboard_and_every_page_say_unreachable_with_the_last_success(
    client, merchandiser, sandbox
):
    _delivered(minutes_ago=45)
    _no_answer(error="CitrusAd did not answer POST /v1/x within 30s; it may have acted on it.")
    client.force_login(merchandiser)
    home = client.get(reverse("home")).content.decode()
    assert '<span class="chip failed">unreachable</span>' in home
    assert "CitrusAd is unreachable" in home and "Last successful push" in home
    assert "it may have acted on it). Last successful push" in home  # one full stop
    assert "No row has failed yet" in home
    products = client.get(reverse("product_search")).content.decode()
    assert "CitrusAd is unreachable" in products and "did not answer POST" in products


def test_a_paused_destination_makes_chips_say_paused_and_names_who_can_resume(
    client, merchandiser, product, admin_user
):
    UserFactory(username="aino.admin", role="admin")
    make_state(product, kind="product", status="pending")
    Destination.objects.filter(name="citrusad").update(paused=True, paused_reason="HTTP 401")
    client.force_login(merchandiser)
    html = client.get(reverse("product_search"), {"q": product.gtin}).content.decode()
    assert "paused: waits for CitrusAd" in html
    assert "Only an admin can resume it: ask" in html and "aino.admin" in html
    chip = client.get(reverse("product_chip", args=[product.pk])).content.decode()
    assert "paused" in chip and "pending" not in chip
    client.force_login(admin_user)
    assert "Resume CitrusAd" in client.get(reverse("product_search")).content.decode()


def test_resume_with_credentials_still_wrong_says_so_and_stays_paused(
    client, admin_user, sandbox, settings
):
    Destination.objects.filter(name="citrusad").update(paused=True, paused_reason="HTTP 401")
    settings.CITRUSAD_API_KEY = "still-the-wrong-key"
    destination_clients_reset()
    client.force_login(admin_user)
    response = client.post(reverse("destination_resume", args=["citrusad"]), follow=True)
    html = response.content.decode()
    assert "CitrusAd stays paused: its test request failed" in html
    assert "credentials were refused" in html and "still-the-wrong-key" not in html
    assert Destination.objects.get(name="citrusad").paused

    settings.CITRUSAD_API_KEY = sandbox.env()["CITRUSAD_API_KEY"]
    destination_clients_reset()
    html = client.post(reverse("destination_resume", args=["citrusad"]), follow=True)
    assert "CitrusAd resumed: its test request passed" in html.content.decode()
    assert not Destination.objects.get(name="citrusad").paused
