"""The sandbox's settings: the credentials it accepts and the faults it injects."""

import dataclasses
from dataclasses import dataclass, field

DEFAULT_PORT = 8700
DEFAULT_API_KEY = "sandbox-citrusad-key"
DEFAULT_TEAM_ID = "sandbox-team"
DEFAULT_CUSTOBAR_TOKEN = "sandbox-custobar-token"  # noqa: S105 (the sandbox's own, public token)
RETRY_AFTER_FORMS = ("seconds", "http-date")
MISMATCH_MODES = ("drop", "reverse", "garble")


@dataclass
class SandboxConfig:
    """What the sandbox accepts and how it misbehaves. Every field can be changed while it runs."""

    # CitrusAd API keys it accepts, each mapped to the teamId it belongs to.
    api_keys: dict[str, str] = field(default_factory=lambda: {DEFAULT_API_KEY: DEFAULT_TEAM_ID})
    custobar_token: str = DEFAULT_CUSTOBAR_TOKEN
    custobar_username: str = ""
    custobar_password: str = ""
    # Faults, on API paths only (never on /_sandbox/), and only under `fault_paths` when set.
    fail_rate: float = 0.0  # share of requests answered with `fail_status` and a plain-text body
    fail_status: int = 500
    fail_next: int = 0  # the next N requests fail like fail_rate, then the count runs out
    rate429: float = 0.0  # share of requests answered 429 with Retry-After
    throttle_next: int = 0
    retry_after: float | None = 1.0  # seconds; None sends no Retry-After header
    retry_after_form: str = "seconds"  # or "http-date"
    latency_ms: int = 0  # added before answering (and before acting, like a slow remote)
    mismatch_next: int = 0  # the next N successful batch answers do not match their request
    mismatch_mode: str = "drop"  # drop the last item, "reverse" the items, or "garble" (not JSON)
    fault_paths: list[str] = field(default_factory=list)
    reject_gtins: list[str] = field(default_factory=list)  # 400 for a batch carrying one
    reject_customers: list[str] = field(default_factory=list)  # ids / external_ids / emails
    ingest_delay_ms: int = 0  # a pushed product stays 404 on GET this long, like CitrusAd
    require_known_catalogs: bool = False  # 400 for products of catalogs it did not create
    max_items: int = 100
    # Per-account rate limits, in requests per minute (0: none): each CitrusAd team, the one
    # Custobar account, and each webhook receiver (`/webhooks/<name>`). Above it: 429 with
    # Retry-After. `rate_limit_burst` is the bucket's size
    # (0: three seconds' worth).
    citrusad_rpm: int = 0
    custobar_rpm: int = 0
    webhook_rpm: int = 0
    rate_limit_burst: int = 0
    record_bodies: bool = True
    max_recorded: int = 20000
    seed: int | None = None

    def updated(self, **changes) -> "SandboxConfig":
        """A copy with `changes` applied, each checked; a bad name or value raises ValueError."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(
                f"Unknown sandbox setting(s): {', '.join(unknown)}. "
                f"Known: {', '.join(sorted(names))}."
            )
        values = dataclasses.asdict(self)
        for name, value in changes.items():
            values[name] = _coerce(name, value)
        return SandboxConfig(**values)

    def public(self) -> dict:
        """The configuration without credentials, for the control endpoint and the log."""
        values = dataclasses.asdict(self)
        values["api_keys"] = {
            "count": len(self.api_keys),
            "team_ids": sorted(set(self.api_keys.values())),
        }
        values["custobar_token"] = "set" if self.custobar_token else ""
        values["custobar_password"] = "set" if self.custobar_password else ""
        return values


_RATES = {"fail_rate", "rate429"}
_COUNTS = {
    "fail_next",
    "throttle_next",
    "mismatch_next",
    "latency_ms",
    "ingest_delay_ms",
    "citrusad_rpm",
    "custobar_rpm",
    "webhook_rpm",
    "rate_limit_burst",
}
_STRINGS = {"custobar_token", "custobar_username", "custobar_password"}
_LISTS = {"fault_paths", "reject_gtins", "reject_customers"}
_BOOLS = {"require_known_catalogs", "record_bodies"}


def _coerce(name: str, value):
    def fail(expected: str):
        raise ValueError(f"{name} must be {expected}, not {value!r}.")

    if name in _RATES:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            fail("a number from 0 to 1")
        return float(value)
    if name in _COUNTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail("a whole number of at least 0")
        return value
    if name in _STRINGS:
        if not isinstance(value, str):
            fail("a string")
        return value
    if name in _LISTS:
        if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
            fail("a list of non-empty strings")
        return list(value)
    if name in _BOOLS:
        if not isinstance(value, bool):
            fail("true or false")
        return value
    if name == "api_keys":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
        ):
            fail("an object mapping each API key to its teamId")
        return dict(value)
    if name == "fail_status":
        if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
            fail("an HTTP error status (400-599)")
        return value
    if name == "retry_after":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            fail("a number of seconds, or null")
        return float(value)
    if name == "retry_after_form":
        if value not in RETRY_AFTER_FORMS:
            fail(" or ".join(RETRY_AFTER_FORMS))
        return value
    if name == "mismatch_mode":
        if value not in MISMATCH_MODES:
            fail(", ".join(MISMATCH_MODES))
        return value
    if name == "max_items":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            fail("a whole number of at least 1")
        return value
    if name == "max_recorded":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail("a whole number of at least 0")
        return value
    if name == "seed":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            fail("a whole number or null")
        return value
    raise ValueError(f"{name} cannot be changed.")
