"""The registry: each destination's client built from its settings, cached per destination and
process, off until every setting it needs is set, and "configured" meaning the same everywhere."""

import pytest

from syncs.destinations import (
    DestinationNotConfigured,
    destination_client,
    destination_clients_reset,
    destination_get,
)
from syncs.remotes import CitrusAdClient, CustobarClient


def test_clients_come_from_settings_and_are_cached(sandbox, settings):
    citrusad = destination_client("citrusad")
    assert isinstance(citrusad, CitrusAdClient)
    assert citrusad is destination_client("citrusad")
    assert citrusad.team_id == settings.CITRUSAD_TEAM_ID
    assert citrusad.http.timeout == (settings.REMOTE_CONNECT_TIMEOUT, settings.REMOTE_READ_TIMEOUT)
    assert isinstance(destination_client("custobar"), CustobarClient)
    destination_clients_reset()
    assert destination_client("citrusad") is not citrusad


def test_a_settings_change_builds_a_new_client(sandbox, settings):
    first = destination_client("citrusad")
    settings.CITRUSAD_TEAM_ID = "another-team"
    second = destination_client("citrusad")
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
        destination_client(destination)


def test_custobar_user_and_password_are_enough(sandbox, settings):
    settings.CUSTOBAR_API_TOKEN = ""
    settings.CUSTOBAR_USERNAME = "user"
    settings.CUSTOBAR_PASSWORD = "password"
    assert isinstance(destination_client("custobar"), CustobarClient)


def test_unknown_destination():
    with pytest.raises(ValueError, match="Unknown destination"):
        destination_client("facebook")


@pytest.mark.django_db
def test_without_a_team_id_citrusad_is_off_everywhere(client, support, settings, sandbox):
    """The team id is required to build the client, so it is required to be "configured":
    /healthz, the dashboard and the sweep all say CitrusAd is off, and nothing is queued."""
    from syncs.models import SyncState
    from syncs.services.push import sync_sweep
    from syncs.services.sync_state import sync_state_mark_changed
    from tests.factories import ProductFactory

    settings.CITRUSAD_TEAM_ID = ""
    citrusad = destination_get("citrusad")
    assert not citrusad.configured
    assert citrusad.missing() == ["CITRUSAD_TEAM_ID"]
    with pytest.raises(DestinationNotConfigured, match="CITRUSAD_TEAM_ID"):
        citrusad.client()

    assert client.get("/healthz").json()["destinations"]["citrusad"] == "not_configured"
    client.force_login(support)
    dashboard = client.get("/").content.decode()
    assert "CitrusAd is not configured." in dashboard

    product = ProductFactory()
    sync_state_mark_changed(kind="product", object_ids=[product.pk])
    assert sync_sweep()["enqueued"] == 0
    assert SyncState.objects.get(destination="citrusad").status == "pending"
