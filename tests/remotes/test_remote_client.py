"""remote_client(): built from settings, cached per destination and process, off until set."""

import pytest

from syncs.remotes import (
    CitrusAdClient,
    CustobarClient,
    DestinationNotConfigured,
    remote_client,
    remote_clients_reset,
)


def test_clients_come_from_settings_and_are_cached(sandbox, settings):
    citrusad = remote_client("citrusad")
    assert isinstance(citrusad, CitrusAdClient)
    assert citrusad is remote_client("citrusad")
    assert citrusad.team_id == settings.CITRUSAD_TEAM_ID
    assert citrusad.http.timeout == (settings.REMOTE_CONNECT_TIMEOUT, settings.REMOTE_READ_TIMEOUT)
    assert isinstance(remote_client("custobar"), CustobarClient)
    remote_clients_reset()
    assert remote_client("citrusad") is not citrusad


def test_a_settings_change_builds_a_new_client(sandbox, settings):
    first = remote_client("citrusad")
    settings.CITRUSAD_TEAM_ID = "another-team"
    second = remote_client("citrusad")
    assert second is not first and second.team_id == "another-team"


@pytest.mark.parametrize(
    ("cleared", "destination", "named"),
    [
        ("CITRUSAD_BASE_URL", "citrusad", "CITRUSAD_BASE_URL"),
        ("CITRUSAD_API_KEY", "citrusad", "CITRUSAD_API_KEY"),
        ("CITRUSAD_TEAM_ID", "citrusad", "CITRUSAD_TEAM_ID"),
        ("CUSTOBAR_BASE_URL", "custobar", "CUSTOBAR_BASE_URL"),
        ("CUSTOBAR_API_TOKEN", "custobar", "CUSTOBAR_API_TOKEN"),
    ],
)
def test_missing_settings_switch_a_destination_off(sandbox, settings, cleared, destination, named):
    setattr(settings, cleared, "")
    with pytest.raises(DestinationNotConfigured, match=named):
        remote_client(destination)


def test_custobar_user_and_password_are_enough(sandbox, settings):
    settings.CUSTOBAR_API_TOKEN = ""
    settings.CUSTOBAR_USERNAME = "user"
    settings.CUSTOBAR_PASSWORD = "password"
    assert isinstance(remote_client("custobar"), CustobarClient)


def test_unknown_destination():
    with pytest.raises(ValueError, match="Unknown destination"):
        remote_client("facebook")
