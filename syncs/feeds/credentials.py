"""Feed credentials: encrypted at rest, never shown back, never logged.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under the keys
in FEED_CREDENTIALS_KEY: the first key encrypts, every key decrypts, so a key is rotated by
putting the new one first and running `manage.py feed rotate-key`. A credential can instead name
an environment variable (`{"password": "SFTP_PASSWORD"}`): only the name is stored.
"""

import json
import os
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
KEY_HELP = (
    "Set FEED_CREDENTIALS_KEY to a Fernet key to store feed credentials: python -c "
    '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class CredentialsError(Exception):
    """A credential cannot be stored or read; the message says what to fix, never the value."""


def _fernet() -> MultiFernet:
    keys = settings.FEED_CREDENTIALS_KEYS
    if not keys:
        raise CredentialsError(KEY_HELP)
    return MultiFernet([Fernet(key) for key in keys])


def credentials_encrypt(values: dict[str, str]) -> str:
    """The values as one token, or "" when there are none."""
    values = {name: value for name, value in values.items() if value}
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def credentials_decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsError(
            "The stored credentials cannot be decrypted with FEED_CREDENTIALS_KEY: the key that "
            "encrypted them is missing (keep the old key after the new one until "
            "`manage.py feed rotate-key` has run), or enter the credentials again."
        ) from None


def credentials_read(*, encrypted: str, from_env: dict[str, str]) -> dict[str, str]:
    """Every credential of a feed, the stored ones decrypted and the named ones from the env."""
    values = credentials_decrypt(encrypted)
    for field, variable in from_env.items():
        value = os.environ.get(variable, "")
        if not value:
            raise CredentialsError(
                f"The feed reads its {field} from the environment variable {variable}, "
                "which is not set in this process."
            )
        values[field] = value
    return values


def credentials_rotate(token: str) -> str:
    """The same values encrypted under the first key (MultiFernet.rotate keeps the timestamp)."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsError(
            "A feed's credentials cannot be decrypted with any FEED_CREDENTIALS_KEY: keep the "
            "old key in the list (after the new one) until the rotation has run."
        ) from None


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret value replaced, for messages and logs."""
    for secret in sorted((s for s in secrets if s and len(s) >= 3), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def credential_summary(*, encrypted: str, from_env: dict[str, str]) -> list[tuple[str, str]]:
    """[(field, "stored encrypted" | "from $VAR")] for the pages; never a value."""
    shown = [(field, f"from ${variable}") for field, variable in sorted(from_env.items())]
    if encrypted:
        try:
            stored = sorted(credentials_decrypt(encrypted))
        except CredentialsError:
            return [*shown, ("stored", "cannot be decrypted with FEED_CREDENTIALS_KEY")]
        shown += [(field, "stored encrypted") for field in stored]
    return shown
