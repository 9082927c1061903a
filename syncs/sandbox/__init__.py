"""A local emulation of CitrusAd's and Custobar's documented endpoints (tests, integrators)."""

from syncs.sandbox.config import (
    DEFAULT_API_KEY,
    DEFAULT_CUSTOBAR_TOKEN,
    DEFAULT_PORT,
    DEFAULT_TEAM_ID,
    SandboxConfig,
)
from syncs.sandbox.replies import RecordedRequest
from syncs.sandbox.server import SandboxServer, bind_is_loopback

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_CUSTOBAR_TOKEN",
    "DEFAULT_PORT",
    "DEFAULT_TEAM_ID",
    "RecordedRequest",
    "SandboxConfig",
    "SandboxServer",
    "bind_is_loopback",
]
