"""Two workers never run the same feed at once: a race for the claim has one winner."""

import threading

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from syncs.feeds import runs
from syncs.models import FeedRun, FeedRunTrigger
from syncs.services.feeds import FeedSettings, feed_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_many_workers_racing_for_one_feed_start_one_run(settings):
    settings.STORED_SECRETS_KEYS = [Fernet.generate_key().decode()]
    feed = feed_create(
        name="race",
        settings=FeedSettings(kind="products", url="s3://b/k.csv", every="1h"),
        actor=None,
    )
    contenders = 6
    barrier = threading.Barrier(contenders)
    won: list = []

    def claim():
        barrier.wait()
        try:
            run = runs.run_start(feed=feed, trigger=FeedRunTrigger.SCHEDULE)
            if run is not None:
                won.append(run.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1
    assert FeedRun.objects.filter(feed=feed, status="running").count() == 1
