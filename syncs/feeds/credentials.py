"""Feed credentials: encrypted at rest, never shown back, never logged.

A feed's stored credentials are one JSON object, encrypted as one secret by
`syncs.stored_secrets` (Fernet under STORED_SECRETS_KEY; `manage.py stored_secrets_rotate`
re-encrypts them with every other stored secret). A credential can instead name an environment
variable (`{"password": "SFTP_PASSWORD"}`): only the name is stored.
"""

import json
import os
import re

from syncs.stored_secrets import StoredSecretError, secret_decrypt, secret_encrypt

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
WHAT = "feed credentials"


def credentials_encrypt(values: dict[str, str]) -> str:
    """The values as one token, or "" when there are none."""
    values = {name: value for name, value in values.items() if value}
    if not values:
        return ""
    return secret_encrypt(json.dumps(values))


def credentials_decrypt(token: str) -> dict[str, str]:
    return json.loads(secret_decrypt(token, what=WHAT)) if token else {}


def credentials_read(*, encrypted: str, from_env: dict[str, str]) -> dict[str, str]:
    """Every credential of a feed, the stored ones decrypted and the named ones from the env."""
    values = credentials_decrypt(encrypted)
    for field, variable in from_env.items():
        value = os.environ.get(variable, "")
        if not value:
            raise StoredSecretError(
                f"The feed reads its {field} from the environment variable {variable}, "
                "which is not set in this process."
            )
        values[field] = value
    return values


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
        except StoredSecretError:
            return [*shown, ("stored", "cannot be decrypted with STORED_SECRETS_KEY")]
        shown += [(field, "stored encrypted") for field in stored]
    return shown
