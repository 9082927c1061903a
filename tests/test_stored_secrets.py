"""Every secret kept in the database is encrypted by one helper (syncs/stored_secrets.py):
the round trip, key rotation with two keys over feeds and webhook endpoints, the migration
that encrypted webhook secrets stored in clear, and an endpoint whose key is gone."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from syncs.destinations import destination_get
from syncs.feeds.credentials import credentials_decrypt
from syncs.models import Feed, WebhookEndpoint
from syncs.remotes.errors import DestinationNotConfigured
from syncs.services.feeds import FeedSettings, feed_create
from syncs.services.webhooks import webhook_endpoint_create, webhook_endpoint_rotate_secret
from syncs.stored_secrets import StoredSecretError, secret_decrypt, secret_encrypt

BEFORE = ("syncs", "0016_list_indexes")
AFTER = ("syncs", "0017_webhook_secrets_encrypted")


@pytest.fixture
def keys(settings):
    """Two keys, OLD in use: `keys.use(NEW, OLD)` changes the setting."""

    class Keys:
        old = Fernet.generate_key().decode()
        new = Fernet.generate_key().decode()

        @staticmethod
        def use(*chosen):
            settings.STORED_SECRETS_KEYS = list(chosen)

    Keys.use(Keys.old)
    return Keys


def _endpoint(name="Shop"):
    return webhook_endpoint_create(
        name=name, url="https://shop.example.com/hooks", kinds=["product"], enabled=True,
        actor=None,
    )  # fmt: skip


def test_round_trip_never_keeps_the_value_in_the_token(keys):
    token = secret_encrypt("whsec_c2VjcmV0")
    assert "whsec_" not in token and "c2VjcmV0" not in token
    assert secret_decrypt(token) == "whsec_c2VjcmV0"
    assert secret_encrypt("whsec_c2VjcmV0") != token  # a fresh IV each time
    assert secret_encrypt("") == "" and secret_decrypt("") == ""


def test_without_a_key_nothing_is_stored_and_the_message_says_how_to_make_one(settings):
    settings.STORED_SECRETS_KEYS = []
    with pytest.raises(StoredSecretError, match="Set STORED_SECRETS_KEY to a Fernet key"):
        secret_encrypt("value")


@pytest.mark.django_db
def test_a_webhook_secret_is_stored_encrypted_only(keys):
    endpoint, secret = _endpoint()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM syncs_webhookendpoint WHERE id = %s", [endpoint.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row and "whsec_" not in row
    assert WebhookEndpoint.objects.get().signing_secrets() == [secret]


@pytest.mark.django_db
def test_rotating_the_key_re_encrypts_feeds_and_webhooks_with_two_keys(keys, capsys):
    feed = feed_create(
        name="bucket",
        settings=FeedSettings(
            kind="products",
            url="s3://bucket/products.csv",
            every="1h",
            credentials={"key": "AKIA-KEY", "secret": "s3-secret-value"},
        ),
        actor=None,
    )
    endpoint, first = _endpoint()
    second = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=None)  # both sign a day
    before = WebhookEndpoint.objects.get()

    keys.use(keys.new, keys.old)  # the new key first, the old one still decrypts
    call_command("stored_secrets_rotate")
    assert "(1 feed, 1 webhook endpoint)" in capsys.readouterr().out

    keys.use(keys.new)  # the old key removed: everything still reads
    after = WebhookEndpoint.objects.get()
    assert after.signing_secrets() == [second, first]
    assert after.secret_encrypted != before.secret_encrypted
    token = Feed.objects.get(pk=feed.pk).credentials_encrypted
    assert credentials_decrypt(token) == {"key": "AKIA-KEY", "secret": "s3-secret-value"}
    keys.use(keys.old)  # ... and nothing is left that only the old key reads
    with pytest.raises(StoredSecretError, match="secret of webhook Shop cannot be decrypted"):
        after.signing_secrets()
    with pytest.raises(StoredSecretError, match="feed credentials cannot be decrypted"):
        credentials_decrypt(token)


@pytest.mark.django_db
def test_a_secret_no_key_decrypts_stops_the_rotation_with_nothing_changed(keys):
    _endpoint("Shop")
    keys.use(keys.new)
    _endpoint("Warehouse")  # under NEW; Shop's secret only OLD decrypts, and OLD is gone
    stored = dict(WebhookEndpoint.objects.values_list("name", "secret_encrypted"))
    with pytest.raises(CommandError, match="secret of webhook Shop .* Nothing was changed"):
        call_command("stored_secrets_rotate")
    assert dict(WebhookEndpoint.objects.values_list("name", "secret_encrypted")) == stored


@pytest.mark.django_db
def test_a_rotated_secret_past_its_grace_period_is_dropped_not_re_encrypted(keys):
    endpoint, _first = _endpoint()
    second = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=None)
    WebhookEndpoint.objects.update(previous_secret_expires_at=timezone.now() - timedelta(hours=1))
    keys.use(keys.new, keys.old)
    call_command("stored_secrets_rotate")
    rotated = WebhookEndpoint.objects.get()
    assert rotated.previous_secret_encrypted == "" and rotated.signing_secrets() == [second]


@pytest.mark.django_db
def test_an_endpoint_whose_key_is_gone_is_off_until_its_secret_is_rotated(keys):
    endpoint, _secret = _endpoint()
    keys.use(keys.new)
    webhook = destination_get(endpoint.destination_name)
    assert not webhook.configured
    with pytest.raises(DestinationNotConfigured, match="set STORED_SECRETS_KEY to the key"):
        webhook.client()
    assert webhook.fingerprint()  # no error where the engine only compares credentials

    fresh = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=None)
    rotated = WebhookEndpoint.objects.get()
    assert rotated.signing_secrets() == [fresh]  # the unreadable one is not kept as previous
    assert destination_get(endpoint.destination_name).configured


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_a_secret_stored_in_clear(keys):
    clear = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old_apps = executor.loader.project_state([BEFORE]).apps
        OldEndpoint = old_apps.get_model("syncs", "WebhookEndpoint")
        OldEndpoint.objects.create(name="Shop", url="https://shop.example.com/", kinds=["product"],
                                   secret=clear, previous_secret="")  # fmt: skip
        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        endpoint = WebhookEndpoint.objects.get()
        assert clear not in endpoint.secret_encrypted and endpoint.secret_encrypted
        assert endpoint.previous_secret_encrypted == ""
        assert endpoint.signing_secrets() == [clear]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        WebhookEndpoint.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_the_migration_refuses_to_leave_a_clear_secret_without_a_key(settings):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old_apps = executor.loader.project_state([BEFORE]).apps
        old_apps.get_model("syncs", "WebhookEndpoint").objects.create(
            name="Shop", url="https://shop.example.com/", kinds=["product"],
            secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )  # fmt: skip
        settings.STORED_SECRETS_KEYS = []
        executor = MigrationExecutor(connection)
        with pytest.raises(CommandError, match="1 webhook endpoint.* Set STORED_SECRETS_KEY"):
            executor.migrate([AFTER])
    finally:
        settings.STORED_SECRETS_KEYS = [Fernet.generate_key().decode()]
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        WebhookEndpoint.objects.all().delete()
