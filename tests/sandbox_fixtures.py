"""Pytest plugin: one sandbox server per test session, reset and wired into settings per test.

    def test_push(sandbox):
        ...  # settings.CITRUSAD_* / CUSTOBAR_* point at it, the client cache is fresh
        sandbox.configure(fail_rate=1.0)
        assert sandbox.received(path_prefix="/v1/catalog-products")[0].json["catalogProducts"]

Subprocesses (Celery workers, benchmarks) get the same wiring from `sandbox.env()` and can
drive it over HTTP under `/_sandbox/` (see "The sandbox" in the README).
"""

import pytest

from syncs.destinations import destination_clients_reset
from syncs.sandbox import SandboxConfig, SandboxServer


@pytest.fixture(scope="session")
def sandbox_server():
    server = SandboxServer(host="127.0.0.1", port=0, config=SandboxConfig()).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings):
    """The running sandbox, reset, with both destinations' settings pointing at it."""
    sandbox_server.reset()
    for name, value in sandbox_server.env().items():
        if name == "SANDBOX_IN_USE":
            settings.SANDBOX_IN_USE = True
        else:
            setattr(settings, name, value)
    destination_clients_reset()
    yield sandbox_server
    destination_clients_reset()
    sandbox_server.reset()
