import pytest


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    """Uploads and error files of these tests go to the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
