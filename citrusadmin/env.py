"""Small readers for settings that come from the environment.

Each one fails loudly, naming the variable, when a value cannot be understood:
a typo in production must stop the start-up, not silently fall back to a default.
"""

import os

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {raw!r}.")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {value}.")
    return value


def env_float(
    name: str, default: float, *, minimum: float = 0.0, maximum: float | None = None
) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str = "") -> str:
    """An http(s) base URL without a trailing slash, or "" when unset."""
    value = env_str(name, default).rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name} must start with http:// or https://, not {value!r}.")
    return value


_RATE_PERIODS = {"second": 60.0, "s": 60.0, "minute": 1.0, "min": 1.0, "m": 1.0, "hour": 1 / 60}


def env_rate(name: str, default: str) -> float | None:
    """A request rate such as "180/minute" or "5/second", as requests per minute; None for
    "" or "unlimited"."""
    raw = env_str(name, default)
    if raw.lower() in ("", "unlimited", "none"):
        return None
    count, _, period = raw.replace(" ", "").partition("/")
    factor = _RATE_PERIODS.get(period.lower() or "minute")
    try:
        value = float(count) * factor if factor else 0.0
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 180/minute or 5/second (or empty for no limit), "
            f"not {raw!r}."
        )
    return value


def env_database(name: str, default: str) -> dict:
    raw = env_str(name) or default
    try:
        config = environ.Env.db_url_config(raw)
    except Exception as exc:
        raise ImproperlyConfigured(
            f"{name} is not a database URL this project can use: {exc}"
        ) from None
    if not str(config.get("ENGINE", "")).startswith("django.db.backends."):
        raise ImproperlyConfigured(
            f"{name} has an unknown database scheme: {raw.split(':', 1)[0]!r}."
        )
    return config


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_emails(name: str) -> list[str]:
    """A comma-separated list of e-mail addresses, each checked."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    addresses = env_list(name, [])
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(f"{name}: {address!r} is not an e-mail address.") from None
    return addresses


def env_fernet_keys(name: str) -> list[str]:
    """Comma-separated Fernet keys, newest first: the first encrypts, all decrypt (rotation)."""
    import base64
    import binascii

    keys = env_list(name, [])
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"{name}: key {position} is not a Fernet key (32 url-safe base64-encoded bytes)."
            )
    return keys
