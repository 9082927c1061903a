"""Scheduled feeds: define, change, start and run them (the page and `manage.py feed` share these).

Every check of what an admin typed is here, so the page and the command refuse the same things
with the same words. Credentials are encrypted before they are saved and never returned.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from syncs.feeds import runs
from syncs.feeds.credentials import ENV_NAME, credentials_decrypt, credentials_encrypt
from syncs.feeds.runner import FeedRunner
from syncs.feeds.sources import (
    OPTION_FIELDS,
    SECRET_FIELDS,
    SourceError,
    location_parse,
)
from syncs.feeds.timing import ScheduleError, cron_check, every_parse, next_run_after
from syncs.models import (
    Catalog,
    Feed,
    FeedRun,
    FeedRunStatus,
    FeedRunTrigger,
    ImportEncoding,
    ImportKind,
)
from syncs.queues import Queue, TaskName
from syncs.services.audit import audit_event_record
from syncs.stored_secrets import StoredSecretError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


@dataclass(frozen=True, kw_only=True)
class FeedSettings:
    """Everything an admin sets on a feed but its name: the page, the command and the services
    take it whole, so a new setting is added here (and checked in `_clean`) once.

    `credentials`, `credentials_env` and `options` None: keep what is stored (on a change)."""

    kind: str
    url: str
    every: str = ""
    cron: str = ""
    catalog: Catalog | None = None
    skip_invalid: bool = False
    encoding: str = ""
    expect_new_file_hours: int | None = None
    credentials: dict[str, str] | None = None
    credentials_env: dict[str, str] | None = None
    options: dict[str, str] | None = None


def _clean(*, feed: Feed | None, name: str, settings: FeedSettings) -> dict:
    """The model fields for what was typed, or ValidationError({field: message})."""
    errors: dict[str, str] = {}
    fields: dict = {}
    kind, every, cron = settings.kind, settings.every, settings.cron
    if not _NAME.match(name or ""):
        errors["name"] = (
            "A name is 1–60 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )
    elif Feed.objects.filter(name=name).exclude(pk=feed.pk if feed else None).exists():
        errors["name"] = f"There is already a feed named {name!r}."
    fields["name"] = name
    if kind not in ImportKind.values:
        errors["kind"] = "Choose products, customers or orders."
    fields["kind"] = kind
    in_url: dict[str, str] = {}
    try:
        location, in_url = location_parse(settings.url)
        fields["url"] = location.url
        scheme = location.scheme
    except SourceError as exc:
        errors["url"] = str(exc)
        scheme = ""
    if bool(every) == bool(cron):
        errors["schedule"] = "Give either an interval (every 15m) or a cron expression, not both."
    else:
        try:
            fields["every_seconds"] = every_parse(every) if every else None
            fields["cron"] = cron_check(cron) if cron else ""
        except ScheduleError as exc:
            errors["schedule"] = str(exc)
    if settings.catalog is not None and kind != ImportKind.PRODUCTS:
        errors["catalog"] = "A catalog can be chosen for product feeds only."
    fields["catalog"] = settings.catalog
    fields["skip_invalid"] = settings.skip_invalid
    encoding = settings.encoding or ""
    if encoding not in ImportEncoding.values:
        errors["encoding"] = f"Unknown encoding {encoding!r}."
    fields["encoding"] = encoding
    hours = settings.expect_new_file_hours
    if hours is not None and not 1 <= hours <= 24 * 366:
        errors["expect_new_file_hours"] = "Expect a new file every 1 to 8,784 hours."
    fields["expect_new_file_hours"] = hours
    if scheme:
        _clean_source(scheme, in_url, settings, feed, fields, errors)
    if errors:
        raise ValidationError(errors)
    return fields


def _clean_source(scheme, in_url, settings: FeedSettings, feed, fields, errors):
    credentials, credentials_env = settings.credentials, settings.credentials_env
    options = settings.options
    allowed = SECRET_FIELDS[scheme]
    given = {k: v for k, v in (credentials or {}).items() if v}
    given = {**in_url, **given}
    names = {k: v for k, v in (credentials_env or {}).items() if v}
    unknown = sorted((set(given) | set(names)) - set(allowed))
    if unknown:
        errors["credentials"] = (
            f"A {scheme} source takes {', '.join(allowed) or 'no credentials'}, "
            f"not {', '.join(unknown)}."
        )
    for variable in names.values():
        if not ENV_NAME.match(variable):
            errors["credentials"] = f"{variable!r} is not an environment variable name."
    if set(given) & set(names):
        errors["credentials"] = "Give each credential as a value or as a variable name, not both."
    if errors:
        return
    if credentials is None and not in_url and feed is not None:
        # Not told: keep what is stored (re-entering secrets on every edit is not expected).
        try:
            given = {
                k: v
                for k, v in credentials_decrypt(feed.credentials_encrypted).items()
                if k in allowed
            }
        except StoredSecretError as exc:
            errors["credentials"] = str(exc)
            return
    if credentials_env is None and feed is not None:
        names = {k: v for k, v in feed.credentials_env.items() if k in allowed}
    try:
        fields["credentials_encrypted"] = credentials_encrypt(given)
    except StoredSecretError as exc:
        errors["credentials"] = str(exc)
    fields["credentials_env"] = names
    opts = {k: str(v).strip() for k, v in (options or {}).items() if str(v).strip()}
    bad = sorted(set(opts) - set(OPTION_FIELDS[scheme]))
    if bad:
        errors["options"] = f"A {scheme} source has no setting {', '.join(bad)}."
    endpoint = opts.get("endpoint_url", "")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        errors["options"] = "The endpoint URL must start with https:// (or http://)."
    if options is None and feed is not None:
        opts = {k: v for k, v in feed.options.items() if k in OPTION_FIELDS[scheme]}
    fields["options"] = opts


def _audit_after(feed: Feed) -> dict:
    """What the audit log keeps: never a credential, only which ones are set."""
    return {
        "kind": feed.kind,
        "url": feed.url,
        "every_seconds": feed.every_seconds,
        "cron": feed.cron,
        "catalog": feed.catalog_id,
        "skip_invalid": feed.skip_invalid,
        "encoding": feed.encoding,
        "expect_new_file_hours": feed.expect_new_file_hours,
        "enabled": feed.enabled,
        "options": feed.options,
        "credentials_stored": bool(feed.credentials_encrypted),
        "credentials_from_env": feed.credentials_env,
    }


def feed_create(*, name: str, settings: FeedSettings, actor: AbstractBaseUser | None) -> Feed:
    """Define a feed; its first run is due at once. ValidationError({field: message}) if not."""
    fields = _clean(feed=None, name=name, settings=settings)
    with transaction.atomic():
        feed = Feed.objects.create(
            **fields,
            next_run_at=timezone.now(),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_event_record(
            actor=actor,
            action="feed_created",
            object_kind="feed",
            object_id=feed.pk,
            object_repr=feed.name,
            after=_audit_after(feed),
        )
    return feed


def feed_update(*, feed: Feed, settings: FeedSettings, actor: AbstractBaseUser | None) -> Feed:
    """Change a feed (its name stays). ValidationError({field: message}) if not."""
    fields = _clean(feed=feed, name=feed.name, settings=settings)
    before = _audit_after(feed)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(feed, name, value)
        if fields["url"] != before["url"]:
            # Another file: what was seen of the old one says nothing about it.
            feed.seen_fingerprint, feed.seen_sha256 = {}, ""
        feed.next_run_at = _next_run(feed, timezone.now())
        feed.save()
        audit_event_record(
            actor=actor,
            action="feed_updated",
            object_kind="feed",
            object_id=feed.pk,
            object_repr=feed.name,
            before=before,
            after=_audit_after(feed),
        )
    return feed


def feed_set_enabled(*, feed: Feed, enabled: bool, actor: AbstractBaseUser | None) -> Feed:
    """Pause or resume a feed's schedule (the target state, never a flip)."""
    if feed.enabled == enabled:
        return feed
    with transaction.atomic():
        feed.enabled = enabled
        feed.next_run_at = timezone.now() if enabled else feed.next_run_at
        feed.save(update_fields=["enabled", "next_run_at", "updated_at"])
        audit_event_record(
            actor=actor,
            action="feed_resumed" if enabled else "feed_paused",
            object_kind="feed",
            object_id=feed.pk,
            object_repr=feed.name,
        )
    return feed


def feed_delete(*, feed: Feed, actor: AbstractBaseUser | None) -> None:
    """Remove a feed and its runs; the imports it started stay."""
    with transaction.atomic():
        audit_event_record(
            actor=actor,
            action="feed_deleted",
            object_kind="feed",
            object_id=feed.pk,
            object_repr=feed.name,
            before=_audit_after(feed),
        )
        feed.delete()


def _next_run(feed: Feed, moment: datetime) -> datetime:
    return next_run_after(moment=moment, every_seconds=feed.every_seconds, cron=feed.cron)


def _enqueue(run: FeedRun, *, queue: str) -> None:
    from celery import current_app

    run_id = run.pk
    # robust: a broker that is down leaves the run to expire and be retried by the next tick.
    transaction.on_commit(
        lambda: current_app.send_task(TaskName.FEED_RUN, kwargs={"run_id": run_id}, queue=queue),
        robust=True,
    )


def feed_run_now(*, feed: Feed, actor: AbstractBaseUser | None) -> FeedRun | None:
    """Start a run at once on a worker (the priority queue); None when one is running."""
    with transaction.atomic():
        run = runs.run_start(feed=feed, trigger=FeedRunTrigger.MANUAL, actor=actor)
        if run is not None:
            audit_event_record(
                actor=actor,
                action="feed_run",
                object_kind="feed",
                object_id=feed.pk,
                object_repr=feed.name,
                after={"run": run.pk},
            )
            _enqueue(run, queue=Queue.PRIORITY)
    return run


def feeds_start_due() -> list[FeedRun]:
    """For the beat tick: take back crashed runs, then start every feed that is due."""
    runs.runs_crashed_release()
    now = timezone.now()
    started = []
    due = Feed.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at")
    for feed in due:
        with transaction.atomic():
            last = feed.runs.order_by("-id").values_list("status", flat=True).first()
            trigger = (
                FeedRunTrigger.RETRY if last == FeedRunStatus.CRASHED else FeedRunTrigger.SCHEDULE
            )
            run = runs.run_start(feed=feed, trigger=trigger)
            if run is None:
                continue  # running already: its own run advances nothing, the next tick sees
            Feed.objects.filter(pk=feed.pk).update(next_run_at=_next_run(feed, now))
            _enqueue(run, queue=Queue.SYNC)
            started.append(run)
    return started


def feed_run(*, run_id: int, import_in_process: bool = False) -> FeedRun:
    """Carry a started run to its end (the task's and the command's body).

    With `import_in_process` the import runs here too (the command: no worker needed);
    otherwise it is queued like an upload's.
    """
    from syncs.services.imports import import_job_run

    run = FeedRun.objects.select_related("feed", "feed__catalog").get(pk=run_id)
    if run.status != FeedRunStatus.RUNNING:
        return run  # a redelivered task, or a run taken for crashed: nothing to do
    job = FeedRunner(run=run, enqueue_import=not import_in_process).run()
    if job is not None and import_in_process:
        import_job_run(job_id=job.pk)
    run.refresh_from_db()
    return run


def feed_run_in_process(*, feed: Feed, actor: AbstractBaseUser | None = None) -> FeedRun | None:
    """`manage.py feed run`: one run and its import here and now; None when one is running."""
    run = runs.run_start(feed=feed, trigger=FeedRunTrigger.COMMAND, actor=actor)
    if run is None:
        return None
    return feed_run(run_id=run.pk, import_in_process=True)
