"""Push pending rows in this process, without a worker (cron-less installs, tests)."""

from django.core.management.base import BaseCommand, CommandError

from syncs.destinations import destination_choices
from syncs.models import SyncKind
from syncs.services.push import KIND_ORDER, sync_run
from syncs.services.sync import rows_retry_failed

KIND_CHOICES = {
    "catalogs": SyncKind.CATALOG,
    "products": SyncKind.PRODUCT,
    "customers": SyncKind.CUSTOMER,
    "orders": SyncKind.ORDER,
}


class Command(BaseCommand):
    help = (
        "Push every due row to CitrusAd/Custobar in this process and print what happened. "
        "--drain also waits out retry backoffs until nothing is pending; --retry-failed queues "
        "failed rows again first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--drain",
            action="store_true",
            help="Keep going, waiting out backoffs, until no row is pending.",
        )
        parser.add_argument("--kind", choices=sorted(KIND_CHOICES), action="append")
        parser.add_argument(
            "--destination",
            action="append",
            help="citrusad, custobar or webhook:<id> (default: every destination).",
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="Queue every failed row again (of the chosen kinds/destinations), then push.",
        )

    def handle(self, *args, drain, kind, destination, retry_failed, **options):
        kinds = [KIND_CHOICES[k] for k in kind] if kind else list(KIND_ORDER)
        destinations = destination or None
        known = {name for name, _label in destination_choices()}
        unknown = sorted(set(destinations or ()) - known)
        if unknown:
            raise CommandError(
                f"Unknown destination(s): {', '.join(unknown)}. Choose from: "
                f"{', '.join(sorted(known))}."
            )
        if retry_failed:
            requeued = 0
            for each_kind in kinds:
                for each_destination in destinations or [None]:
                    requeued += rows_retry_failed(
                        actor=None, destination=each_destination, kind=each_kind
                    )
            self.stdout.write(f"Re-queued {requeued} failed row(s).")
        results = sync_run(kinds=kinds, destinations=destinations, wait_for_retries=drain)
        for (each_destination, each_kind), counts in results.items():
            if not counts.claimed and not counts.paused:
                continue
            line = (
                f"{each_kind} -> {each_destination}: {counts.delivered} delivered, "
                f"{counts.failed} failed, {counts.retrying} retrying, {counts.unknown} unknown, "
                f"{counts.requests} request(s)"
            )
            if counts.paused:
                line += " (destination paused: fix its credentials, then resume it)"
            self.stdout.write(line)
        delivered = sum(c.delivered for c in results.values())
        failed = sum(c.failed for c in results.values())
        self.stdout.write(f"Done: {delivered} delivered, {failed} failed.")
