"""Feed credentials: encrypted at rest, read from the environment by name, rotated, never shown."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError

from syncs.feeds.credentials import credentials_decrypt
from syncs.models import AuditEvent, Feed, FeedRunStatus
from syncs.services.feeds import FeedSettings, feed_create, feed_run_in_process
from syncs.services.stored_secrets import stored_secrets_rotate
from syncs.stored_secrets import StoredSecretError
from tests.factories import CatalogFactory
from tests.file_servers import S3_KEY, S3_SECRET

pytestmark = pytest.mark.django_db


def _s3_feed(s3_files, **kwargs):
    return feed_create(
        name="bucket",
        settings=FeedSettings(
            kind="products",
            url=s3_files.url("daily/products.csv"),
            every="15m",
            options={"endpoint_url": s3_files.endpoint, "region": "us-east-1"},
            **kwargs,
        ),
        actor=None,
    )


def test_s3_feed_with_stored_credentials_imports_then_skips_by_etag(s3_files):
    catalog = CatalogFactory()
    s3_files.write("daily/products.csv", f"catalogId,gtin,inventory\n{catalog.citrusad_id},A-1,3\n")
    feed = _s3_feed(s3_files, credentials={"key": S3_KEY, "secret": S3_SECRET})
    stored = Feed.objects.get(pk=feed.pk)
    assert S3_SECRET not in stored.credentials_encrypted and stored.credentials_encrypted
    assert credentials_decrypt(stored.credentials_encrypted) == {"key": S3_KEY, "secret": S3_SECRET}

    assert feed_run_in_process(feed=stored).status == FeedRunStatus.IMPORTED
    assert feed_run_in_process(feed=Feed.objects.get(pk=feed.pk)).status == "unchanged"
    audit = AuditEvent.objects.get(action="feed_created")
    assert S3_SECRET not in str(audit.after) and audit.after["credentials_stored"] is True


def test_credentials_named_by_environment_variable(s3_files, monkeypatch):
    s3_files.write("daily/products.csv", "catalogId,gtin,inventory\n")
    feed = _s3_feed(s3_files, credentials_env={"key": "FEED_S3_KEY", "secret": "FEED_S3_SECRET"})
    assert feed.credentials_encrypted == ""

    run = feed_run_in_process(feed=feed)
    assert run.status == FeedRunStatus.FAILED
    assert run.message == (
        "The feed reads its key from the environment variable FEED_S3_KEY, which is not set in "
        "this process."
    )
    monkeypatch.setenv("FEED_S3_KEY", S3_KEY)
    monkeypatch.setenv("FEED_S3_SECRET", S3_SECRET)
    assert feed_run_in_process(feed=Feed.objects.get(pk=feed.pk)).status == "imported"


def test_wrong_s3_secret_fails_without_showing_it(s3_files):
    s3_files.write("daily/products.csv", "catalogId,gtin,inventory\n")
    # moto accepts any signature unless told otherwise; a missing bucket shows the failure path.
    feed = feed_create(
        name="missing",
        settings=FeedSettings(
            kind="products",
            url="s3://no-such-bucket/products.csv",
            every="15m",
            options={"endpoint_url": s3_files.endpoint},
            credentials={"key": S3_KEY, "secret": "wrong-secret-value"},
        ),
        actor=None,
    )
    run = feed_run_in_process(feed=feed)
    assert run.status == FeedRunStatus.FAILED
    assert "wrong-secret-value" not in run.message


def test_rotating_the_key(settings, s3_files):
    old = settings.STORED_SECRETS_KEYS[0]
    feed = _s3_feed(s3_files, credentials={"key": S3_KEY, "secret": S3_SECRET})
    new = Fernet.generate_key().decode()
    settings.STORED_SECRETS_KEYS = [new, old]
    assert stored_secrets_rotate() == {"feeds": 1, "webhook endpoints": 0}
    settings.STORED_SECRETS_KEYS = [new]
    token = Feed.objects.get(pk=feed.pk).credentials_encrypted
    assert credentials_decrypt(token)["secret"] == S3_SECRET
    settings.STORED_SECRETS_KEYS = [old]
    with pytest.raises(StoredSecretError, match="feed credentials cannot be decrypted"):
        credentials_decrypt(token)


def test_storing_credentials_needs_a_key(settings, s3_files):
    settings.STORED_SECRETS_KEYS = []
    with pytest.raises(ValidationError) as refused:
        _s3_feed(s3_files, credentials={"key": S3_KEY, "secret": S3_SECRET})
    assert "Set STORED_SECRETS_KEY" in refused.value.message_dict["credentials"][0]
    assert not Feed.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": "Bad Name"}, "name", "lower-case letters"),
        ({"every": "", "cron": ""}, "schedule", "either an interval"),
        ({"every": "5x"}, "schedule", "not an interval"),
        ({"every": "", "cron": "0 3 * *"}, "schedule", "not a cron expression"),
        ({"kind": "invoices"}, "kind", "products, customers or orders"),
        ({"credentials": {"token": "t0ken"}}, "credentials", "takes key, secret"),
        ({"credentials_env": {"key": "1BAD"}}, "credentials", "not an environment variable"),
        ({"options": {"host_key": "x"}}, "options", "no setting host_key"),
        ({"expect_new_file_hours": 0}, "expect_new_file_hours", "1 to 8,784"),
    ],
)
def test_bad_feed_definitions_are_refused(kwargs, field, message):
    name = kwargs.pop("name", "ok")
    arguments = {"kind": "products", "url": "s3://bucket/file.csv", "every": "1h", **kwargs}
    with pytest.raises(ValidationError) as refused:
        feed_create(name=name, settings=FeedSettings(**arguments), actor=None)
    assert message in refused.value.message_dict[field][0]
    assert not Feed.objects.exists()
