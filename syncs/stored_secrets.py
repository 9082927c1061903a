"""Secrets the console keeps in its database, encrypted at rest: feed credentials and webhook
endpoints' signing secrets. Every stored secret goes through here; none is kept in clear.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under the keys
in STORED_SECRETS_KEY (FEED_CREDENTIALS_KEY, its former name, is still read): the first key
encrypts, every key decrypts. A key is rotated by putting the new one first, running
`manage.py stored_secrets_rotate` (which re-encrypts every stored secret under it), and then
removing the old one. Neither a value nor a token is ever put in a message or a log line.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

KEY_SETTING = "STORED_SECRETS_KEY"
KEY_HELP = (
    f"Set {KEY_SETTING} to a Fernet key to store secrets (feed credentials, webhook signing "
    'secrets): python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


class StoredSecretError(Exception):
    """A secret cannot be stored or read; the message says what to fix, never the value."""


def _fernet() -> MultiFernet:
    keys = settings.STORED_SECRETS_KEYS
    if not keys:
        raise StoredSecretError(KEY_HELP)
    return MultiFernet([Fernet(key) for key in keys])


def secret_encrypt(value: str) -> str:
    """`value` as a token under the first key; "" stays "" (nothing stored)."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def secret_decrypt(token: str, *, what: str = "secret") -> str:
    """The value of a token made by `secret_encrypt`; `what` names it in the error."""
    return _unwrap(token, what, lambda fernet, data: fernet.decrypt(data))


def secret_rotate(token: str, *, what: str = "secret") -> str:
    """The same value encrypted under the first key (MultiFernet.rotate keeps the timestamp)."""
    return _unwrap(token, what, lambda fernet, data: fernet.rotate(data))


def _unwrap(token: str, what: str, step) -> str:
    if not token:
        return ""
    try:
        return step(_fernet(), token.encode()).decode()
    except InvalidToken:
        raise StoredSecretError(
            f"The stored {what} cannot be decrypted with any {KEY_SETTING}: the key that "
            "encrypted it is missing (keep the old key after the new one until "
            "`manage.py stored_secrets_rotate` has run), or enter it again."
        ) from None
