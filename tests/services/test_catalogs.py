import pytest
from django.core.exceptions import ValidationError

from syncs.models import AuditEvent, Catalog, Priority, SyncState
from syncs.services.catalogs import catalog_create, catalog_register
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_catalog_create_registers_it_locally_pending_creation(settings):
    actor = UserFactory()
    settings.CITRUSAD_TEAM_ID = "team-1"

    catalog = catalog_create(name="  Summer  ", actor=actor)

    assert (catalog.name, catalog.citrusad_id, catalog.team_id) == ("Summer", "", "team-1")
    state = SyncState.objects.get()
    assert (state.kind, state.status, state.priority) == ("catalog", "pending", Priority.MANUAL)
    assert AuditEvent.objects.get().action == "catalog.create"


def test_catalog_register_records_an_existing_catalog_without_pushing():
    catalog = catalog_register(name="Main", citrusad_id="cat-1", team_id="team-1", actor=None)

    assert Catalog.objects.get().citrusad_id == "cat-1" == catalog.citrusad_id
    assert not SyncState.objects.exists()
    with pytest.raises(ValidationError, match="already registered"):
        catalog_register(name="Again", citrusad_id="cat-1", team_id="", actor=None)


@pytest.mark.parametrize(
    ("name", "citrusad_id", "message"),
    [("", "x", "Give the catalog a name"), ("A", " ", "CitrusAd id"), ("x" * 201, "y", "at most")],
)
def test_bad_catalog_input_gets_a_clear_message(name, citrusad_id, message):
    with pytest.raises(ValidationError, match=message):
        catalog_register(name=name, citrusad_id=citrusad_id, team_id="", actor=None)
    assert not Catalog.objects.exists()
