"""Settings come from the environment and fail loudly, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from citrusadmin import env

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("reader", "name", "raw", "message"),
    [
        (lambda: env.env_bool("X_FLAG", False), "X_FLAG", "maybe", "X_FLAG must be true or false"),
        (lambda: env.env_int("X_NUM", 1), "X_NUM", "ten", "X_NUM must be a whole number"),
        (lambda: env.env_int("X_NUM", 1, maximum=100), "X_NUM", "101", "X_NUM must be at most 100"),
        (
            lambda: env.env_float("X_SHARE", 0.2, maximum=1),
            "X_SHARE",
            "2",
            "X_SHARE must be between",
        ),
        (lambda: env.env_url("X_URL"), "X_URL", "ftp://x", "X_URL must start with http"),
        (lambda: env.env_database("X_DB", "sqlite://"), "X_DB", "nosuch://h/db", "X_DB"),
        (lambda: env.env_rate("X_RATE", ""), "X_RATE", "fast", "X_RATE must be a rate such as"),
        (lambda: env.env_rate("X_RATE", ""), "X_RATE", "180/fortnight", "X_RATE must be a rate"),
        (lambda: env.env_rate("X_RATE", ""), "X_RATE", "0/minute", "X_RATE must be a rate"),
        (lambda: env.env_rate("X_RATE", ""), "X_RATE", "-5/second", "X_RATE must be a rate"),
    ],
)
def test_bad_values_raise_naming_the_variable(monkeypatch, reader, name, raw, message):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        reader()


def test_good_values_are_read(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    monkeypatch.setenv("X_NUM", " 42 ")
    monkeypatch.setenv("X_URL", "https://api.example.com/")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env.env_bool("X_FLAG", False) is True
    assert env.env_int("X_NUM", 1) == 42
    assert env.env_url("X_URL") == "https://api.example.com"
    assert env.env_list("X_LIST", []) == ["a.example", "b.example"]
    for raw, per_minute in (("180/minute", 180.0), ("5/second", 300.0), ("90", 90.0)):
        monkeypatch.setenv("X_RATE", raw)
        assert env.env_rate("X_RATE", "") == per_minute
    for raw in ("", "unlimited", "none"):
        monkeypatch.setenv("X_RATE", raw)
        assert env.env_rate("X_RATE", "180/minute") is None


def _run_settings(extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # Only what a deployment would have: nothing inherited from the test settings.
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "DATABASE_URL") if k in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **extra_env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_bad_setting_stops_manage_py_with_the_variable_named():
    result = _run_settings({"DEBUG": "1", "SYNC_BATCH_SIZE": "500"}, "check")
    assert result.returncode != 0
    assert "SYNC_BATCH_SIZE must be at most 100" in result.stderr


def test_production_settings_need_a_secret_key():
    result = _run_settings({"DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = _run_settings(
        {
            "DEBUG": "0",
            "SECRET_KEY": "k3y-" + "x9Qp2Lm7Zr4Tb8Wc1Vn6Hs5Jd0Fg3Ky" * 2,
            "ALLOWED_HOSTS": "citrusadmin.example.com",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_destinations_are_off_until_configured(settings):
    from syncs.destinations import destination_get

    def destination_is_configured(*, destination: str) -> bool:
        return destination_get(destination).configured

    settings.CITRUSAD_BASE_URL = ""
    settings.CITRUSAD_API_KEY = "key"
    settings.CITRUSAD_TEAM_ID = "team"  # required too (see tests/destinations/test_registry.py)
    assert not destination_is_configured(destination="citrusad")
    settings.CITRUSAD_BASE_URL = "http://127.0.0.1:8700"
    assert destination_is_configured(destination="citrusad")
    settings.CUSTOBAR_BASE_URL = "https://acme.custobar.com"
    settings.CUSTOBAR_USERNAME = settings.CUSTOBAR_PASSWORD = settings.CUSTOBAR_API_TOKEN = ""
    assert not destination_is_configured(destination="custobar")
    settings.CUSTOBAR_API_TOKEN = "token"
    assert destination_is_configured(destination="custobar")


def _stored_secrets_keys(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; print(','.join(settings.STORED_SECRETS_KEYS))"
    return _run_settings({"DEBUG": "1", **extra_env}, "shell", "--no-imports", "-c", code)


def test_stored_secrets_key_and_its_former_name():
    new, old = (Fernet.generate_key().decode() for _ in range(2))
    result = _stored_secrets_keys({"STORED_SECRETS_KEY": f"{new},{old}"})
    assert result.stdout.strip() == f"{new},{old}", result.stderr
    # A deployment that set the former name keeps working ...
    assert _stored_secrets_keys({"FEED_CREDENTIALS_KEY": old}).stdout.strip() == old
    # ... and one that set both to different keys is told which to keep.
    both = _stored_secrets_keys({"STORED_SECRETS_KEY": new, "FEED_CREDENTIALS_KEY": old})
    assert both.returncode != 0
    assert "set STORED_SECRETS_KEY only" in both.stderr
    bad = _stored_secrets_keys({"STORED_SECRETS_KEY": "not-a-key"})
    assert bad.returncode != 0 and "STORED_SECRETS_KEY: key 1 is not a Fernet key" in bad.stderr


def test_the_demos_file_broker_connects_without_a_kombu_warning(tmp_path):
    """kombu warns "No hostname was supplied" each time a process connects to a file broker
    URL without a host: `make demo` printed it once per worker, beat and command."""
    code = (
        "from citrusadmin.celery import app; connection = app.connection_for_write(); "
        "connection.clone(); print(connection.as_uri(), connection.transport_cls)"
    )
    result = _run_settings(
        {"DEBUG": "1", "CITRUSADMIN_VAR_DIR": str(tmp_path)}, "shell", "--no-imports", "-c", code
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["filesystem://:**@localhost//", "filesystem"]
    assert "WARNING" not in result.stderr, result.stderr
