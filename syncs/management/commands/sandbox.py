"""Run the CitrusAd + Custobar sandbox in the foreground (see "The sandbox" in the README)."""

import logging

from django.core.management.base import BaseCommand, CommandError

from syncs.sandbox import (
    DEFAULT_API_KEY,
    DEFAULT_CUSTOBAR_TOKEN,
    DEFAULT_PORT,
    DEFAULT_TEAM_ID,
    SandboxConfig,
    SandboxServer,
    bind_is_loopback,
)

NETWORK_WARNING = (
    "WARNING: the sandbox listens on {host}, which other machines can reach, not on this "
    "machine's loopback only. Anyone who reaches port {port} can use its fixed, public "
    "credentials, read everything sent to it (/_sandbox/state, /_sandbox/requests, "
    "/_sandbox/webhooks) and change how it answers (/_sandbox/config); it is a test double, "
    "not a server. Use --host 127.0.0.1 unless this runs in a container whose port is "
    "published on the host's 127.0.0.1 only (as docker-compose.yml does)."
)


def _rate(value: str) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise ValueError(value)
    return rate


class Command(BaseCommand):
    help = (
        "Serve a local emulation of CitrusAd's and Custobar's documented endpoints, with state, "
        "validation and fault injection. Control endpoints live under /_sandbox/."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="Interface (default 127.0.0.1); any other prints a warning: the sandbox's "
            "credentials are public and its control endpoints open.",
        )
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="Default 8700.")
        parser.add_argument(
            "--api-key",
            action="append",
            metavar="KEY[=TEAM]",
            help=f"A CitrusAd API key to accept, optionally with its teamId; repeatable "
            f"(default {DEFAULT_API_KEY}={DEFAULT_TEAM_ID}).",
        )
        parser.add_argument(
            "--team-id", default=DEFAULT_TEAM_ID, help="teamId for keys given without one."
        )
        parser.add_argument("--custobar-token", default=DEFAULT_CUSTOBAR_TOKEN)
        parser.add_argument("--custobar-user", default="", help="Also accept this Basic user.")
        parser.add_argument("--custobar-password", default="")
        parser.add_argument(
            "--fail-rate", type=_rate, default=0.0, help="Share of requests answered 500 (0-1)."
        )
        parser.add_argument(
            "--rate429", type=_rate, default=0.0, help="Share of requests answered 429 (0-1)."
        )
        parser.add_argument(
            "--retry-after", type=float, default=1.0, help="Retry-After seconds on a 429."
        )
        parser.add_argument(
            "--retry-after-date",
            action="store_true",
            help="Send Retry-After as an HTTP date instead of seconds.",
        )
        parser.add_argument("--latency-ms", type=int, default=0, help="Delay before answering.")
        parser.add_argument(
            "--ingest-delay-ms",
            type=int,
            default=0,
            help="How long a pushed product stays 404 on GET, like CitrusAd's ingestion lag.",
        )
        parser.add_argument(
            "--reject-gtin",
            action="append",
            nargs="+",
            default=[],
            metavar="GTIN",
            help="Answer 400 for any batch carrying this GTIN; repeatable.",
        )
        parser.add_argument(
            "--citrusad-rpm",
            type=int,
            default=0,
            help="Requests a minute each CitrusAd team may send; 429 above it (default: no limit).",
        )
        parser.add_argument(
            "--custobar-rpm",
            type=int,
            default=0,
            help="Requests a minute the Custobar account may send; 429 above it (default: none).",
        )
        parser.add_argument(
            "--webhook-rpm",
            type=int,
            default=0,
            help="Requests a minute each webhook receiver takes; 429 above it (default: none).",
        )
        parser.add_argument(
            "--max-recorded",
            type=int,
            default=20000,
            help="How many requests to keep for /_sandbox/requests (default 20000).",
        )
        parser.add_argument(
            "--no-record-bodies",
            action="store_true",
            help="Record requests without their bodies (long load tests).",
        )
        parser.add_argument(
            "--quiet", action="store_true", help="Do not log each request (faster)."
        )

    def handle(self, *args, **options):
        api_keys = {}
        for entry in options["api_key"] or [f"{DEFAULT_API_KEY}={options['team_id']}"]:
            key, _, team = entry.partition("=")
            if not key:
                raise CommandError(f"--api-key {entry!r} has no key.")
            api_keys[key] = team or options["team_id"]
        if bool(options["custobar_user"]) != bool(options["custobar_password"]):
            raise CommandError("--custobar-user and --custobar-password go together.")
        try:
            config = SandboxConfig().updated(
                api_keys=api_keys,
                custobar_token=options["custobar_token"],
                custobar_username=options["custobar_user"],
                custobar_password=options["custobar_password"],
                fail_rate=options["fail_rate"],
                rate429=options["rate429"],
                retry_after=options["retry_after"],
                retry_after_form="http-date" if options["retry_after_date"] else "seconds",
                latency_ms=options["latency_ms"],
                ingest_delay_ms=options["ingest_delay_ms"],
                reject_gtins=[g for group in options["reject_gtin"] for g in group],
                max_recorded=options["max_recorded"],
                citrusad_rpm=options["citrusad_rpm"],
                custobar_rpm=options["custobar_rpm"],
                webhook_rpm=options["webhook_rpm"],
                record_bodies=not options["no_record_bodies"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            server = SandboxServer(host=options["host"], port=options["port"], config=config)
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc.strerror}."
            ) from None
        if not bind_is_loopback(options["host"]):
            self.stderr.write(
                NETWORK_WARNING.format(host=options["host"] or "every interface", port=server.port)
            )
            self.stderr.flush()
        if not options["quiet"]:
            logging.getLogger("syncs.sandbox").setLevel(logging.DEBUG)
        teams = ", ".join(sorted(set(api_keys.values())))
        self.stdout.write(
            f"Sandbox for CitrusAd and Custobar on {server.url} (teams: {teams}); "
            f"controls under {server.url}/_sandbox/. Ctrl-C stops it."
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Sandbox stopped.")
