import pytest


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    """Uploads and error files of these tests go to the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def enqueued(monkeypatch):
    """The drains each path registers to run after the commit, as (kind, destinations)."""
    calls = []

    def record(*, destinations, kind, manual):
        calls.append((kind, tuple(destinations)))

    # Both paths (row by row and set-based) mark through syncs.services.sync_state.
    monkeypatch.setattr("syncs.services.sync_state.drain_enqueue_after_commit", record)
    return calls
