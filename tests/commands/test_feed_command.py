"""`manage.py feed add / list / run / rotate-key`."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from syncs.models import Feed, Product
from tests.factories import CatalogFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _feed_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORED_SECRETS_KEYS = [Fernet.generate_key().decode()]


def _call(*args):
    out = io.StringIO()
    call_command("feed", *args, stdout=out)
    return out.getvalue()


def test_add_list_and_run(http_files, monkeypatch):
    catalog = CatalogFactory(citrusad_id="cat-77")
    http_files.write("p.csv", "gtin,inventory\nA-1,4\nA-2,6\n")
    text = _call(
        "add",
        "nightly",
        "--kind",
        "products",
        "--url",
        http_files.url("p.csv"),
        "--every",
        "15m",
        "--catalog",
        "cat-77",
        "--expect-every",
        "26",
    )
    assert "Feed nightly added: products from" in text and "every 15m" in text
    feed = Feed.objects.get(name="nightly")
    assert feed.catalog == catalog and feed.expect_new_file_hours == 26

    assert "nightly  products" in _call("list") and "never run" in _call("list")

    ran = _call("run", "nightly")
    assert "New file imported" in ran and "created 2" in ran
    assert Product.objects.filter(catalog=catalog).count() == 2
    again = _call("run", "nightly")
    assert "Unchanged" in again and "import" not in again.split("\n", 1)[1]
    assert "last unchanged" in _call("list")


def test_credentials_come_from_stdin_never_the_command_line(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("password=hunter2-secret\n"))
    _call(
        "add",
        "drop",
        "--kind",
        "orders",
        "--url",
        "sftp://feeds@files.example.com/o.csv",
        "--cron",
        "0 3 * * *",
        "--credentials-stdin",
    )
    feed = Feed.objects.get(name="drop")
    assert feed.credentials_encrypted and "hunter2" not in feed.credentials_encrypted
    assert "hunter2" not in _call("list")


def test_bad_definitions_and_unknown_feeds_are_clear_errors():
    with pytest.raises(CommandError, match="schedule: .*not a cron expression"):
        _call("add", "x", "--kind", "products", "--url", "s3://b/k.csv", "--cron", "3 * *")
    with pytest.raises(CommandError, match="No feed is named 'ghost'"):
        _call("run", "ghost")
    with pytest.raises(CommandError, match="No catalog"):
        _call(
            "add",
            "y",
            "--kind",
            "products",
            "--url",
            "s3://b/k.csv",
            "--every",
            "1h",
            "--catalog",
            "nope",
        )
    assert not Feed.objects.exists()


def test_a_failed_run_exits_non_zero(http_files):
    _call("add", "gone", "--kind", "products", "--url", http_files.url("none.csv"), "--every", "1h")
    with pytest.raises(CommandError, match="did not succeed"):
        _call("run", "gone")


def test_rotate_key(settings):
    _call(
        "add",
        "s",
        "--kind",
        "products",
        "--url",
        "s3://b/k.csv",
        "--every",
        "1h",
        "--credential-env",
        "key=S3_KEY",
        "--credential-env",
        "secret=S3_SECRET",
    )
    assert "(0 feeds, 0 webhook endpoints)" in _call("rotate-key")  # names only: none stored
