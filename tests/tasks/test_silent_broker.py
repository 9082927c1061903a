"""A Celery worker whose Redis accepts connections and never answers notices, and retries."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
pytestmark = pytest.mark.worker


def test_a_worker_on_a_silent_redis_times_out_and_retries_instead_of_hanging(silent_server):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "REDIS_URL": f"redis://127.0.0.1:{silent_server.port}/0",
        "REDIS_CONNECT_TIMEOUT": "1",
        "REDIS_READ_TIMEOUT": "2",
    }
    env.pop("CELERY_BROKER_URL", None)
    worker = subprocess.Popen(
        [CELERY, "-A", "citrusadmin", "worker", "--queues", "priority,sync", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(worker.stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and "Timeout reading from socket" not in "".join(output):
            time.sleep(0.5)
        text = "".join(output)
        assert "Timeout reading from socket" in text, text[-3000:]
        assert "Cannot connect to redis" in text
        assert silent_server.accepted >= 1
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
