"""Check that both destinations are configured, reachable and accept our credentials."""

from django.core.management.base import BaseCommand, CommandError

from syncs.remotes import (
    CitrusAdClient,
    CustobarClient,
    DestinationNotConfigured,
    NotFoundError,
    RejectedError,
    RemoteError,
    TransientError,
    UnauthorisedError,
    remote_client,
)

# A product that cannot exist: CitrusAd answers 404 once the key is accepted.
PROBE_CATALOG = "citrusadmin-check"
PROBE_GTIN = "citrusadmin-check"


class Command(BaseCommand):
    help = (
        "Check CitrusAd's and Custobar's settings, reachability and credentials; say what is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--destination",
            choices=["citrusad", "custobar"],
            action="append",
            help="Check only this destination (default: both).",
        )

    def handle(self, *args, destination=None, **options):
        failures = 0
        for name in destination or ["citrusad", "custobar"]:
            ok, lines = self.check_destination(name)
            label = "CitrusAd" if name == "citrusad" else "Custobar"
            style = self.style.SUCCESS if ok else self.style.ERROR
            self.stdout.write(style(f"{label}: {'OK' if ok else 'PROBLEM'}"))
            for line in lines:
                self.stdout.write(f"  {line}")
            failures += not ok
        if failures:
            raise CommandError(f"{failures} destination(s) need attention (see above).")

    def check_destination(self, name: str) -> tuple[bool, list[str]]:
        try:
            client = remote_client(name)
        except DestinationNotConfigured as exc:
            return False, [str(exc)]
        if isinstance(client, CitrusAdClient):
            return self._check_citrusad(client)
        return self._check_custobar(client)

    def _check_citrusad(self, client: CitrusAdClient) -> tuple[bool, list[str]]:
        where = client.http.base_url
        try:
            client.get_catalog_product(catalog_id=PROBE_CATALOG, gtin=PROBE_GTIN)
        except NotFoundError:
            pass  # expected: the key was accepted and the probe product does not exist
        except RemoteError as exc:
            return False, [_explain(exc, where, "CITRUSAD_API_KEY")]
        lines = [f"Reachable at {where}; the API key is accepted."]
        # An empty batch changes nothing; a 403 here means the teamId is not this key's team.
        try:
            client.upsert_catalog_products(items=[])
        except UnauthorisedError:
            return False, [
                *lines,
                f"The team id {client.team_id!r} does not belong to this API key: "
                "check CITRUSAD_TEAM_ID.",
            ]
        except (RejectedError, NotFoundError, RemoteError):
            pass  # a 400 for the empty list means the team was accepted
        lines.append(f"Team id {client.team_id!r} is accepted.")
        return True, lines

    def _check_custobar(self, client: CustobarClient) -> tuple[bool, list[str]]:
        where = client.http.base_url
        try:
            client.upload_customers(items=[])
        except (UnauthorisedError, TransientError) as exc:
            return False, [_explain(exc, where, "CUSTOBAR_API_TOKEN / CUSTOBAR_USERNAME")]
        except NotFoundError:
            return False, [
                f"{where} has no /api/customers/upload/: check CUSTOBAR_BASE_URL "
                "(e.g. https://COMPANY.custobar.com)."
            ]
        except RemoteError:
            pass  # a 400 for the empty list means the credentials were accepted
        return True, [f"Reachable at {where}; the credentials are accepted."]


def _explain(exc: RemoteError, where: str, credential_setting: str) -> str:
    if isinstance(exc, UnauthorisedError):
        return f"The credentials were refused ({exc.status_code}): check {credential_setting}."
    if isinstance(exc, TransientError) and exc.status_code is None:
        return f"Cannot reach {where}: {exc} Check the base URL and the network."
    if isinstance(exc, NotFoundError):
        return f"{where} does not look like the API: {exc} Check the base URL."
    return f"Unexpected answer: {exc}"
