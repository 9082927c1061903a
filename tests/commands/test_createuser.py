import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _create(monkeypatch, password: str, *args: str):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("createuser", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_creates_a_user_in_the_role(monkeypatch):
    output = _create(monkeypatch, "a-long-enough-passphrase", "alice", "--role", "support")
    user = get_user_model().objects.get(username="alice")
    assert "Created support 'alice'" in output
    assert list(user.groups.values_list("name", flat=True)) == ["support"]
    assert user.check_password("a-long-enough-passphrase")
    assert not user.is_staff and not user.is_superuser


def test_admins_are_not_staff_the_django_admin_is_for_superusers(monkeypatch):
    _create(monkeypatch, "a-long-enough-passphrase", "root2", "--role", "admin")
    user = get_user_model().objects.get(username="root2")
    assert not user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["admin"]


def test_a_weak_password_is_refused_and_nothing_is_created(monkeypatch):
    with pytest.raises(CommandError, match="Password refused"):
        _create(monkeypatch, "123", "bob", "--role", "merchandiser")
    assert not get_user_model().objects.filter(username="bob").exists()


def test_an_existing_user_is_not_overwritten(monkeypatch, merchandiser):
    with pytest.raises(CommandError, match="already exists"):
        _create(monkeypatch, "a-long-enough-passphrase", merchandiser.username, "--role", "admin")
