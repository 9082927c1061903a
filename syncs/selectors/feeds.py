"""Feeds: the list with each feed's last run, one feed, and its runs."""

from django.db.models import OuterRef, Subquery

from syncs.feeds.credentials import credential_summary
from syncs.feeds.sources import SECRET_LABELS
from syncs.models import Feed, FeedRun, FeedRunStatus
from syncs.selectors.pagination import PAGE_SIZE, keyset_page


def feed_list() -> list[Feed]:
    """Every feed (a handful), each with `last_run` (or None) attached in one extra query."""
    feeds = list(
        Feed.objects.select_related("catalog").annotate(
            last_run_id=Subquery(
                FeedRun.objects.filter(feed=OuterRef("pk")).order_by("-id").values("id")[:1]
            )
        )
    )
    runs = FeedRun.objects.select_related("import_job").in_bulk(
        [feed.last_run_id for feed in feeds if feed.last_run_id]
    )
    for feed in feeds:
        feed.last_run = runs.get(feed.last_run_id)
    return feeds


def feed_get(*, feed_id: int) -> Feed | None:
    return Feed.objects.select_related("catalog", "created_by").filter(pk=feed_id).first()


def feed_run_list(
    *, feed: Feed, before_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[FeedRun], int | None]:
    """The feed's runs newest first, with the import each started."""
    qs = FeedRun.objects.filter(feed=feed).select_related("import_job", "started_by")
    return keyset_page(qs, cursor=before_id, limit=limit, newest_first=True)


def feed_is_running(*, feed: Feed) -> bool:
    return FeedRun.objects.filter(feed=feed, status=FeedRunStatus.RUNNING).exists()


def feed_credentials_shown(*, feed: Feed) -> list[str]:
    """What the page may say about the credentials: which are set and where, never a value."""
    return [
        f"{SECRET_LABELS.get(field, field)}: {where}"
        for field, where in credential_summary(
            encrypted=feed.credentials_encrypted, from_env=feed.credentials_env
        )
    ]
