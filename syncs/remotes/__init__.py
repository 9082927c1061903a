"""Wire clients: one class per remote API, the HTTP plumbing they share, typed errors.

Which client a destination uses, built from which settings, is the destination's business
(`syncs/destinations/`).
"""

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
]
