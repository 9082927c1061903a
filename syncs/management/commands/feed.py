import sys

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from syncs.feeds.timing import schedule_describe
from syncs.models import Catalog, Feed, FeedRunStatus, ImportEncoding, ImportKind, ImportStatus
from syncs.services.feeds import FeedSettings, feed_create, feed_run_in_process


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"{what} takes NAME=VALUE, not {value!r}.")
        pairs[name.strip()] = rest.strip()
    return pairs


class Command(BaseCommand):
    help = (
        "Scheduled feeds: add one, list them, or run one now in this process. See 'Scheduled "
        "feeds' in the README."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        add = commands.add_parser("add", help="Define a feed.")
        add.add_argument("name")
        add.add_argument("--kind", required=True, choices=ImportKind.values)
        add.add_argument("--url", required=True, help="sftp://, https://, s3://, gs:// or a path.")
        when = add.add_mutually_exclusive_group(required=True)
        when.add_argument("--every", help="An interval: 90s, 15m, 6h, 1d.")
        when.add_argument("--cron", help='A cron expression, e.g. "0 3 * * *" (TIME_ZONE).')
        add.add_argument("--catalog", help="Products: catalog for rows without catalogId.")
        add.add_argument("--skip-invalid", action="store_true")
        add.add_argument("--encoding", choices=[value for value in ImportEncoding.values if value])
        add.add_argument(
            "--expect-every",
            type=int,
            metavar="HOURS",
            help="A new file is expected at least this often; an alert opens when none came.",
        )
        add.add_argument(
            "--option",
            action="append",
            metavar="NAME=VALUE",
            help="A source setting: endpoint_url, region (s3); endpoint_url, project (gs); "
            "username (http); host_key (sftp).",
        )
        add.add_argument(
            "--credential-env",
            action="append",
            metavar="FIELD=VARIABLE",
            help="Read a credential (password, private_key, passphrase, token, key, secret) "
            "from this environment variable at run time.",
        )
        add.add_argument(
            "--credentials-stdin",
            action="store_true",
            help="Read FIELD=VALUE lines from standard input (stored encrypted), so no secret "
            "is in the command line or the shell history.",
        )
        commands.add_parser("list", help="List the feeds and their last runs.")
        run = commands.add_parser("run", help="Run a feed and its import now, in this process.")
        run.add_argument("name")
        commands.add_parser(
            "rotate-key",
            help="The same as `manage.py stored_secrets_rotate`: re-encrypt every stored secret "
            "(feed credentials and webhook secrets) under the first STORED_SECRETS_KEY.",
        )

    def handle(self, *args, command, **options):
        getattr(self, f"handle_{command.replace('-', '_')}")(**options)

    def handle_add(self, *, name, kind, url, every, cron, catalog, **options):
        chosen = None
        if catalog:
            chosen = Catalog.objects.filter(citrusad_id=catalog).first()
            if chosen is None and catalog.isdigit():
                chosen = Catalog.objects.filter(pk=int(catalog)).first()
            if chosen is None:
                raise CommandError(f"No catalog has the id {catalog!r}.")
        credentials = None
        if options["credentials_stdin"]:
            lines = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
            credentials = _pairs(lines, "--credentials-stdin")
        try:
            settings = FeedSettings(
                kind=kind,
                url=url,
                every=every or "",
                cron=cron or "",
                catalog=chosen,
                skip_invalid=options["skip_invalid"],
                encoding=options["encoding"] or "",
                expect_new_file_hours=options["expect_every"],
                credentials=credentials,
                credentials_env=_pairs(options["credential_env"], "--credential-env"),
                options=_pairs(options["option"], "--option"),
            )
            feed = feed_create(name=name, settings=settings, actor=None)
        except ValidationError as exc:
            messages = [
                f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
            ]
            raise CommandError("\n".join(messages)) from None
        self.stdout.write(
            f"Feed {feed.name} added: {feed.kind} from {feed.url}, "
            f"{schedule_describe(every_seconds=feed.every_seconds, cron=feed.cron)}; "
            "its first run is due now."
        )

    def handle_list(self, **options):
        feeds = list(Feed.objects.select_related("catalog").order_by("name"))
        if not feeds:
            self.stdout.write("No feeds yet: add one with `manage.py feed add`.")
            return
        now = timezone.now()
        for feed in feeds:
            last = feed.runs.order_by("-id").first()
            state = "paused" if not feed.enabled else ""
            next_run = (
                "due now"
                if feed.next_run_at and feed.next_run_at <= now
                else f"next {timezone.localtime(feed.next_run_at):%Y-%m-%d %H:%M}"
                if feed.next_run_at
                else ""
            )
            last_text = (
                f"last {last.get_status_display().lower()} "
                f"{timezone.localtime(last.started_at):%Y-%m-%d %H:%M}"
                if last
                else "never run"
            )
            self.stdout.write(
                f"{feed.name}  {feed.kind}  {feed.url}  "
                f"{schedule_describe(every_seconds=feed.every_seconds, cron=feed.cron)}  "
                f"{state or next_run}  {last_text}"
            )

    def handle_run(self, *, name, **options):
        feed = Feed.objects.filter(name=name).first()
        if feed is None:
            raise CommandError(f"No feed is named {name!r}.")
        run = feed_run_in_process(feed=feed)
        if run is None:
            raise CommandError(f"Feed {name} is running already; try again when it is done.")
        self.stdout.write(f"Feed {name} run {run.pk}: {run.get_status_display()}")
        if run.found:
            self.stdout.write(f"  found {run.found}")
        if run.message:
            self.stdout.write(f"  {run.message}")
        job = run.import_job
        if job is not None:
            self.stdout.write(
                f"  import {job.pk}: {job.status}; read {job.rows_read:,}, created "
                f"{job.rows_created:,}, updated {job.rows_updated:,}, unchanged "
                f"{job.rows_unchanged:,}, invalid {job.rows_invalid:,}"
            )
            self.stdout.write(f"  {job.message}")
        if run.status == FeedRunStatus.FAILED or (job and job.status != ImportStatus.SUCCEEDED):
            raise CommandError(f"Feed {name} run {run.pk} did not succeed.")

    def handle_rotate_key(self, **options):
        call_command("stored_secrets_rotate", stdout=self.stdout, stderr=self.stderr)
