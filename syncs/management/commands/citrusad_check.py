"""Check that the destinations are configured, reachable and accept our credentials."""

from django.core.management.base import BaseCommand, CommandError

from syncs.destinations import DestinationNotConfigured, destination_get, destinations_all


class Command(BaseCommand):
    help = (
        "Check each destination's settings, reachability and credentials (CitrusAd, Custobar, "
        "webhook endpoints); say what is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--destination",
            action="append",
            help="Check only this destination, e.g. citrusad (default: all of them).",
        )

    def handle(self, *args, destination=None, **options):
        try:
            chosen = (
                [destination_get(name) for name in destination]
                if destination
                else destinations_all()
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        failures = 0
        for each in chosen:
            ok, lines = self.check_destination(each)
            style = self.style.SUCCESS if ok else self.style.ERROR
            self.stdout.write(style(f"{each.label}: {'OK' if ok else 'PROBLEM'}"))
            for line in lines:
                self.stdout.write(f"  {line}")
            failures += not ok
        if failures:
            raise CommandError(f"{failures} destination(s) need attention (see above).")

    def check_destination(self, destination) -> tuple[bool, list[str]]:
        try:
            client = destination.client()
        except DestinationNotConfigured as exc:
            return False, [str(exc)]
        return destination.check(client)
