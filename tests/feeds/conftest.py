import pytest
from cryptography.fernet import Fernet

TEST_FEED_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def feed_settings(settings, tmp_path):
    """Each test's uploads in its own folder, a credentials key, local feeds under tmp."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORED_SECRETS_KEYS = [TEST_FEED_KEY]
    settings.FEED_LOCAL_ROOT = tmp_path / "feeds"
    settings.FEED_LOCAL_ROOT.mkdir()
    return settings
