"""The Feeds pages: admins only, credentials never rendered, Run now / pause / edit / remove."""

from html.parser import HTMLParser

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from syncs.feeds.credentials import credentials_decrypt
from syncs.feeds.sources import OPTION_FIELDS, SCHEMES, SECRET_FIELDS
from syncs.forms import FeedForm
from syncs.models import AuditEvent, Feed, FeedRun, FeedRunStatus, FeedRunTrigger
from syncs.services.feeds import FeedSettings, feed_create

pytestmark = pytest.mark.django_db

SECRET = "never-shown-secret-42"


@pytest.fixture(autouse=True)
def _keys(settings, tmp_path):
    settings.STORED_SECRETS_KEYS = [Fernet.generate_key().decode()]
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def feed(db):
    return feed_create(
        name="nightly",
        settings=FeedSettings(
            kind="products",
            url="sftp://drop@files.example.com/out/products.csv",
            every="1h",
            credentials={"password": SECRET},
        ),
        actor=None,
    )


@pytest.mark.parametrize(
    "name", ["feed_list", "feed_detail", "feed_run", "feed_edit", "feed_schedule", "feed_delete"]
)
def test_anonymous_is_sent_to_login_and_support_gets_403(client, support, feed, name):
    url = reverse(name) if name == "feed_list" else reverse(name, args=[feed.pk])
    method = client.get if name in ("feed_list", "feed_detail") else client.post
    assert method(url).status_code == 302
    client.force_login(support)
    response = method(url)
    assert response.status_code == 403
    assert "admin role" in response.content.decode()


@pytest.mark.parametrize("name", ["feed_run", "feed_edit", "feed_schedule", "feed_delete"])
def test_actions_need_post(client, admin_user, feed, name):
    client.force_login(admin_user)
    assert client.get(reverse(name, args=[feed.pk])).status_code == 405


def test_list_and_detail_never_render_a_credential(client, admin_user, feed):
    client.force_login(admin_user)
    listing = client.get(reverse("feed_list")).content.decode()
    assert "nightly" in listing and SECRET not in listing
    detail = client.get(reverse("feed_detail", args=[feed.pk])).content.decode()
    assert "password: stored encrypted" in detail
    assert SECRET not in detail and feed.credentials_encrypted not in detail
    assert 'type="password"' in detail and 'value="never' not in detail


def test_adding_a_feed_from_the_page(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("feed_list"),
        {
            "name": "bucket",
            "kind": "customers",
            "url": "s3://drop/customers.csv",
            "every": "30m",
            "endpoint_url": "https://minio.example.com",
            "key": "AKIA123",
            "secret": SECRET,
        },
    )
    feed = Feed.objects.get(name="bucket")
    assert response.status_code == 302 and response["Location"] == reverse(
        "feed_detail", args=[feed.pk]
    )
    assert feed.options == {"endpoint_url": "https://minio.example.com"}
    assert SECRET not in str(AuditEvent.objects.get(action="feed_created").after)


def test_a_bad_feed_gets_messages_and_writes_nothing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("feed_list"),
        {
            "name": "x",
            "kind": "products",
            "url": "ftp://nope/x.csv",
            "every": "1h",
            "cron": "* * * * *",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown source" in html and "either an interval" in html
    assert not Feed.objects.exists()


def test_editing_keeps_the_stored_password_when_left_empty(client, admin_user, feed):
    client.force_login(admin_user)
    response = client.post(
        reverse("feed_edit", args=[feed.pk]),
        {"kind": "products", "url": feed.url, "every": "2h", "expect_new_file_hours": "26"},
    )
    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.every_seconds == 7200 and feed.expect_new_file_hours == 26
    assert credentials_decrypt(feed.credentials_encrypted) == {"password": SECRET}


def test_run_now_starts_one_run_and_a_second_click_finds_it_running(
    client, admin_user, feed, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(reverse("feed_run", args=[feed.pk]), follow=True)
        second = client.post(reverse("feed_run", args=[feed.pk]), follow=True)
    assert "started" in first.content.decode()
    assert "running already" in second.content.decode()
    (run,) = FeedRun.objects.all()
    assert run.trigger == FeedRunTrigger.MANUAL and run.status == FeedRunStatus.RUNNING
    assert run.started_by == admin_user and len(callbacks) == 1
    page = client.get(reverse("feed_detail", args=[feed.pk]))
    assert 'hx-trigger="every 3s"' in page.content.decode()
    fragment = client.get(reverse("feed_detail", args=[feed.pk]), headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<section class="card" id="runs"')


def test_pause_and_resume_send_the_target_state(client, admin_user, feed):
    client.force_login(admin_user)
    for _ in range(2):  # twice: a double click changes nothing more
        client.post(reverse("feed_schedule", args=[feed.pk]), {"state": "off"})
    feed.refresh_from_db()
    assert not feed.enabled
    assert AuditEvent.objects.filter(action="feed_paused").count() == 1
    client.post(reverse("feed_schedule", args=[feed.pk]), {"state": "on"})
    feed.refresh_from_db()
    assert feed.enabled
    bad = client.post(reverse("feed_schedule", args=[feed.pk]), {"state": "flip"}, follow=True)
    assert "Choose to pause or to resume" in bad.content.decode()


def test_remove_needs_the_name_typed(client, admin_user, feed):
    client.force_login(admin_user)
    client.post(reverse("feed_delete", args=[feed.pk]), {"confirm": "wrong"})
    assert Feed.objects.filter(pk=feed.pk).exists()
    response = client.post(reverse("feed_delete", args=[feed.pk]), {"confirm": "nightly"})
    assert response["Location"] == reverse("feed_list")
    assert not Feed.objects.exists()


def test_unknown_feed_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("feed_detail", args=[999999])).status_code == 404


class _SourceFields(HTMLParser):
    """Each form field's name -> the schemes of the `data-schemes` box around it ("" if none)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._boxes: list[str | None] = []
        self.url_marked = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div":
            self._boxes.append(attrs.get("data-schemes"))
        elif tag in ("input", "textarea", "select") and attrs.get("name"):
            boxes = [box for box in self._boxes if box is not None]
            self.fields[attrs["name"]] = boxes[-1] if boxes else ""
            if attrs["name"] == "url":
                self.url_marked = "data-source-url" in attrs

    def handle_endtag(self, tag):
        if tag == "div" and self._boxes:
            self._boxes.pop()


def _source_fields(html: str) -> _SourceFields:
    form = html.split('id="add-h"', 1)[-1] if 'id="add-h"' in html else html
    form = form.split('id="edit-h"', 1)[-1].split("</form>", 1)[0]
    parser = _SourceFields()
    parser.feed(form)
    return parser


@pytest.mark.parametrize("page", ["feed_list", "feed_detail"])
def test_each_source_setting_says_which_sources_take_it(client, admin_user, feed, page):
    """Without JavaScript every setting shows, each in a box naming the URL schemes that take
    it (console.js hides the others); the boxes follow the sources' own lists."""
    client.force_login(admin_user)
    url = reverse(page) if page == "feed_list" else reverse(page, args=[feed.pk])
    html = client.get(url).content.decode()
    parsed = _source_fields(html)
    assert parsed.url_marked
    boxes = {name: schemes for name, schemes in parsed.fields.items() if schemes}
    assert boxes == {
        "host_key": "sftp",
        "password": "sftp https http",
        "private_key": "sftp",
        "passphrase": "sftp",
        "username": "https http",
        "token": "https http gs",
        "key": "s3",
        "secret": "s3",
        "endpoint_url": "s3 gs",
        "region": "s3",
        "project": "gs",
        "credentials_env": "sftp https http s3 gs",
        "clear_credentials": "sftp https http s3 gs",
    }
    for name, schemes in boxes.items():
        for scheme in schemes.split():
            assert name in (*SECRET_FIELDS[scheme], *OPTION_FIELDS[scheme]) or name in (
                "credentials_env",
                "clear_credentials",
            )
    # The settings every feed has are never hidden.
    assert {"kind", "url", "every", "cron", "encoding"} <= {
        name for name, schemes in parsed.fields.items() if not schemes
    }
    assert "For sftp sources." in html and "For s3, gs sources." in html
    assert 'src="/static/js/console.js"' in html or "js/console" in html


def test_every_source_setting_of_every_source_is_on_the_form():
    form = FeedForm()
    for scheme in SCHEMES:
        for name in (*SECRET_FIELDS[scheme], *OPTION_FIELDS[scheme]):
            assert scheme in form.fields[name].schemes, (scheme, name)
