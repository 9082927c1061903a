"""Re-encrypt every secret the console stores under the first STORED_SECRETS_KEY."""

from django.core.management.base import BaseCommand, CommandError

from syncs.services.stored_secrets import stored_secrets_rotate
from syncs.stored_secrets import StoredSecretError


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (feed credentials, webhook signing secrets) under the "
        "first key in STORED_SECRETS_KEY, so the older keys can be removed. Put the new key "
        "first and keep the old ones after it while this runs (README, 'Rotating the key')."
    )

    def handle(self, *args, **options):
        try:
            rotated = stored_secrets_rotate()
        except StoredSecretError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from None
        counts = ", ".join(
            f"{count} {what if count != 1 else what.removesuffix('s')}"
            for what, count in rotated.items()
        )
        self.stdout.write(
            f"Re-encrypted the stored secrets under the first STORED_SECRETS_KEY ({counts}); "
            "the older keys can now be removed."
        )
