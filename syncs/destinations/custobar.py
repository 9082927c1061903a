"""Custobar (customer data / marketing): customers only, as partial updates.

Custobar changes only the keys it is sent, so each customer's payload is the difference from
what Custobar confirmed last (`SyncState.remote_snapshot`), and the snapshot moves on confirm.
"""

from django.conf import settings

from syncs.destinations.base import Built, Destination, explain
from syncs.models import SyncKind
from syncs.remotes import payloads as wire
from syncs.remotes.custobar import UPLOAD_PATH, CustobarClient
from syncs.remotes.errors import NotFoundError, RemoteError, TransientError, UnauthorisedError
from syncs.remotes.result import RemoteResult

NAME = "custobar"


class Custobar(Destination):
    type_name = NAME
    name = NAME
    label = "Custobar"
    kinds = (SyncKind.CUSTOMER,)

    def config(self) -> tuple:
        return (
            settings.CUSTOBAR_BASE_URL,
            settings.CUSTOBAR_USERNAME,
            settings.CUSTOBAR_PASSWORD,
            settings.CUSTOBAR_API_TOKEN,
            settings.REMOTE_CONNECT_TIMEOUT,
            settings.REMOTE_READ_TIMEOUT,
        )

    def missing(self) -> list[str]:
        missing = [] if settings.CUSTOBAR_BASE_URL else ["CUSTOBAR_BASE_URL"]
        has_login = settings.CUSTOBAR_USERNAME and settings.CUSTOBAR_PASSWORD
        if not (settings.CUSTOBAR_API_TOKEN or has_login):
            missing.append("CUSTOBAR_API_TOKEN (or CUSTOBAR_USERNAME and CUSTOBAR_PASSWORD)")
        return missing

    def credentials(self) -> tuple[str, ...]:
        return (
            settings.CUSTOBAR_BASE_URL,
            settings.CUSTOBAR_USERNAME,
            settings.CUSTOBAR_PASSWORD,
            settings.CUSTOBAR_API_TOKEN,
        )

    def rate_limit(self) -> float | None:
        return settings.CUSTOBAR_RATE_LIMIT

    def build_client(self, config: tuple) -> CustobarClient:
        base_url, username, password, token, connect, read = config
        return CustobarClient(
            base_url=base_url,
            username=username,
            password=password,
            api_token=token,
            connect_timeout=connect,
            read_timeout=read,
        )

    def build(self, kind, obj, *, previous: dict | None) -> Built:
        payload = wire.custobar_customer_payload(obj, previous=previous)
        return Built(
            payload=payload,
            key=wire.custobar_customer_key(payload),
            snapshot=wire.custobar_customer_snapshot(obj),
        )

    def endpoint(self, kind, request) -> str:
        return UPLOAD_PATH

    def send(self, client: CustobarClient, kind, request) -> RemoteResult:
        return client.upload_customers(items=[item.payload for item in request.items])

    def check(self, client: CustobarClient) -> tuple[bool, list[str]]:
        where = client.http.base_url
        try:
            client.upload_customers(items=[])
        except (UnauthorisedError, TransientError) as exc:
            return False, [explain(exc, where, "CUSTOBAR_API_TOKEN / CUSTOBAR_USERNAME")]
        except NotFoundError:
            return False, [
                f"{where} has no {UPLOAD_PATH}: check CUSTOBAR_BASE_URL "
                "(e.g. https://COMPANY.custobar.com)."
            ]
        except RemoteError:
            pass  # a 400 for the empty list means the credentials were accepted
        return True, [f"Reachable at {where}; the credentials are accepted."]
