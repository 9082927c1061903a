"""What a destination is: the one class every integration fills in (docs/ARCHITECTURE.md,
"Adding a destination").

A destination owns everything that differs from one remote to another: its settings and
whether they are complete, its wire client, the kinds it carries, the endpoint and payload
for each kind, how a request's items are grouped, how its answers map to what happens to the
rows (a `Verdict`), and the fingerprint of its credentials. The push engine
(`syncs/services/push/`) asks these questions and never names a destination.
"""

import hashlib
import hmac
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db.models import QuerySet

from syncs.models import Catalog, Customer, Order, Product, SyncKind
from syncs.remotes.errors import (
    DestinationNotConfigured,
    NotFoundError,
    RejectedError,
    RemoteError,
    TransientError,
    UnauthorisedError,
)
from syncs.remotes.result import RemoteResult

if TYPE_CHECKING:
    from syncs.services.push.payloads import Item, Request

KIND_MODELS = {
    SyncKind.CATALOG: Catalog,
    SyncKind.PRODUCT: Product,
    SyncKind.CUSTOMER: Customer,
    SyncKind.ORDER: Order,
}


class Verdict(StrEnum):
    """What an answer means for the rows its request carried."""

    CONFIRM = "confirm"  # delivered, or already what was wanted: confirm at the version sent
    REJECT = "reject"  # the content was refused: split the batch until the culprits stand alone
    RETRY = "retry"  # transient: back off (exponential, full jitter, Retry-After) and retry
    UNKNOWN = "unknown"  # a call that is not idempotent got no answer: a person checks first
    PAUSE = "pause"  # credentials refused, or the endpoint is gone: stop until someone acts


@dataclass
class Built:
    """What a destination makes of one row: the payload item (None for a DELETE), the key the
    sync history shows for it, and (for partial-update remotes) what the remote holds after."""

    payload: dict | None
    key: str
    snapshot: dict | None = None


_lock = threading.Lock()
# destination name -> (pid, config it was built from, client). A forked worker builds its own
# session; a settings change (tests, a fixed key, a rotated secret) builds a new client.
_clients: dict[str, tuple[int, tuple, Any]] = {}


class Destination(ABC):
    """One remote the engine keeps in step. Subclasses fill in the class attributes and the
    abstract methods ("each destination"); the rest are shared defaults."""

    type_name: ClassVar[str]  # the registry's key ("citrusad", "webhook")
    name: str  # SyncState.destination / SyncBatch.destination / Destination.name
    label: str
    kinds: tuple[str, ...]

    # --- the registry's questions (a destination configured from settings is one instance;
    # a type with rows of its own, like webhook endpoints, overrides these) ---

    @classmethod
    def instances(cls) -> list["Destination"]:
        return [cls()]

    @classmethod
    def from_name(cls, name: str) -> "Destination | None":
        return cls() if name == cls.name else None

    @classmethod
    def labels_for(cls, names: Iterable[str]) -> dict[str, str]:
        """The labels of these names of this type, read at once (a list names many)."""
        return {name: cls.label for name in names}

    # --- settings and client (each destination) ---

    @abstractmethod
    def config(self) -> tuple:
        """Everything the client is built from; a change builds a new client."""

    @abstractmethod
    def missing(self) -> list[str]:
        """What must still be set before it can be used (empty: configured)."""

    @abstractmethod
    def credentials(self) -> tuple[str, ...]:
        """The values whose change may lift a pause (URL, key, secret)."""

    @abstractmethod
    def build_client(self, config: tuple):
        """The wire client (one pooled requests Session) built from `config`."""

    # --- shared ---

    @property
    def configured(self) -> bool:
        return not self.missing()

    def client(self):
        """The pooled wire client; raises DestinationNotConfigured while settings are missing."""
        missing = self.missing()
        if missing:
            raise DestinationNotConfigured(f"{self.label} is off: set {', '.join(missing)}.")
        config = self.config()
        pid = os.getpid()
        with _lock:
            cached = _clients.get(self.name)
            if cached and cached[0] == pid and cached[1] == config:
                return cached[2]
            client = self.build_client(config)
            if cached and cached[0] == pid:
                cached[2].close()
            _clients[self.name] = (pid, config, client)
            return client

    def rate_limit(self) -> float | None:
        """The account's pace in requests per minute, shared by every worker (None: no limit
        of our own; a 429 still slows it down). Each destination reads its own setting."""
        return None

    def fingerprint(self) -> str:
        """A keyed hash of the credentials: tells "changed" without keeping the secret."""
        message = "\x00".join(self.credentials()).encode()
        return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()

    # --- rows and payloads ---

    def queryset(self, kind: str) -> QuerySet:
        """What building `kind`'s payloads reads (override to read less or prefetch)."""
        return KIND_MODELS[SyncKind(kind)].objects.all()

    def claim_condition(self, kind: str) -> str:
        """Extra SQL on `s` (the sync state) a row must meet to be claimed: "" for none."""
        return ""

    @abstractmethod
    def build(self, kind: str, obj, *, previous: dict | None) -> Built:
        """Each destination: the payload item for one row (raise ValueError if it cannot)."""

    def batches(self, kind: str, items: list["Item"]) -> list[tuple[str, list["Item"]]]:
        """The claim's items as (method, items) requests: POSTs of SYNC_BATCH_SIZE by default."""
        step = settings.SYNC_BATCH_SIZE
        return [("POST", items[start : start + step]) for start in range(0, len(items), step)]

    @abstractmethod
    def endpoint(self, kind: str, request: "Request") -> str:
        """Each destination: the path the sync history shows (never a query string)."""

    @abstractmethod
    def send(self, client, kind: str, request: "Request") -> RemoteResult:
        """Each destination: make the request (no database work: it runs in the HTTP thread)."""

    # --- answers ---

    def incomplete(self, kind: str, request: "Request", result: RemoteResult) -> str:
        """Why a 2xx is not enough to confirm (the outcome is then unknown); "" when it is."""
        return ""

    def verdict(self, kind: str, request: "Request", exc: RemoteError) -> Verdict:
        """What a failed answer means for the request's rows."""
        if isinstance(exc, UnauthorisedError):
            return Verdict.PAUSE
        if isinstance(exc, RejectedError):
            return Verdict.REJECT
        return Verdict.RETRY

    def unknown_message(self, kind: str, detail: str) -> str:
        return f"No answer: the remote may have acted on it. ({detail})"

    def confirmed(self, kind: str, items: list["Item"], answers: list) -> None:  # noqa: B027
        """Runs in the transaction that confirms the items: remote state to keep here."""

    def after_confirm(self, kind: str) -> None:  # noqa: B027
        """Runs after that transaction commits: follow-up work it makes possible."""

    @abstractmethod
    def check(self, client) -> tuple[bool, list[str]]:
        """Each destination: ask the remote whether it is reachable and takes our credentials."""


def destination_clients_reset() -> None:
    """Forget the cached clients (tests, or after the settings changed)."""
    with _lock:
        for pid, _config, client in _clients.values():
            if pid == os.getpid():
                client.close()
        _clients.clear()


def explain(exc: RemoteError, where: str, credential_setting: str) -> str:
    """A failed check in words: which setting to look at."""
    if isinstance(exc, UnauthorisedError):
        return f"The credentials were refused ({exc.status_code}): check {credential_setting}."
    if isinstance(exc, TransientError) and exc.status_code is None:
        return f"Cannot reach {where}: {exc} Check the base URL and the network."
    if isinstance(exc, NotFoundError):
        return f"{where} does not look like the API: {exc} Check the base URL."
    return f"Unexpected answer: {exc}"
