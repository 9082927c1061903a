"""Wire clients for the two destinations, one pooled session per destination per process."""

import os
import threading

from django.conf import settings

from syncs.remotes.citrusad import CitrusAdClient
from syncs.remotes.custobar import CustobarClient
from syncs.remotes.errors import (
    DestinationNotConfigured,
    NotFoundError,
    RejectedError,
    RemoteError,
    RemoteTimeout,
    ResponseMismatchError,
    TransientError,
    UnauthorisedError,
)
from syncs.remotes.result import RemoteResult

__all__ = [
    "CitrusAdClient",
    "CustobarClient",
    "DestinationNotConfigured",
    "NotFoundError",
    "RejectedError",
    "RemoteError",
    "RemoteResult",
    "RemoteTimeout",
    "ResponseMismatchError",
    "TransientError",
    "UnauthorisedError",
    "remote_client",
    "remote_clients_reset",
]

_lock = threading.Lock()
# destination -> (pid, settings it was built from, client). A forked worker builds its own
# session; a settings change (tests, reconfiguration) builds a new client.
_clients: dict[str, tuple[int, tuple, CitrusAdClient | CustobarClient]] = {}


def _citrusad_settings() -> tuple:
    return (
        settings.CITRUSAD_BASE_URL,
        settings.CITRUSAD_API_KEY,
        settings.CITRUSAD_TEAM_ID,
        settings.REMOTE_CONNECT_TIMEOUT,
        settings.REMOTE_READ_TIMEOUT,
    )


def _custobar_settings() -> tuple:
    return (
        settings.CUSTOBAR_BASE_URL,
        settings.CUSTOBAR_USERNAME,
        settings.CUSTOBAR_PASSWORD,
        settings.CUSTOBAR_API_TOKEN,
        settings.REMOTE_CONNECT_TIMEOUT,
        settings.REMOTE_READ_TIMEOUT,
    )


def _build(destination: str, config: tuple) -> CitrusAdClient | CustobarClient:
    if destination == "citrusad":
        base_url, api_key, team_id, connect, read = config
        missing = [
            name
            for name, value in (
                ("CITRUSAD_BASE_URL", base_url),
                ("CITRUSAD_API_KEY", api_key),
                ("CITRUSAD_TEAM_ID", team_id),
            )
            if not value
        ]
        if missing:
            raise DestinationNotConfigured(f"CitrusAd is off: set {', '.join(missing)}.")
        return CitrusAdClient(
            base_url=base_url,
            api_key=api_key,
            team_id=team_id,
            connect_timeout=connect,
            read_timeout=read,
        )
    base_url, username, password, token, connect, read = config
    missing = [] if base_url else ["CUSTOBAR_BASE_URL"]
    if not token and not (username and password):
        missing.append("CUSTOBAR_API_TOKEN (or CUSTOBAR_USERNAME and CUSTOBAR_PASSWORD)")
    if missing:
        raise DestinationNotConfigured(f"Custobar is off: set {', '.join(missing)}.")
    return CustobarClient(
        base_url=base_url,
        username=username,
        password=password,
        api_token=token,
        connect_timeout=connect,
        read_timeout=read,
    )


def remote_client(destination: str) -> CitrusAdClient | CustobarClient:
    """The client for "citrusad" or "custobar" from settings; raises DestinationNotConfigured."""
    if destination == "citrusad":
        config = _citrusad_settings()
    elif destination == "custobar":
        config = _custobar_settings()
    else:
        raise ValueError(f"Unknown destination {destination!r}; use 'citrusad' or 'custobar'.")
    pid = os.getpid()
    with _lock:
        cached = _clients.get(destination)
        if cached and cached[0] == pid and cached[1] == config:
            return cached[2]
        client = _build(destination, config)
        if cached and cached[0] == pid:
            cached[2].close()
        _clients[destination] = (pid, config, client)
        return client


def remote_clients_reset() -> None:
    """Forget the cached clients (tests, or after the settings changed)."""
    with _lock:
        for pid, _config, client in _clients.values():
            if pid == os.getpid():
                client.close()
        _clients.clear()
