"""Customers on PostgreSQL take the COPY path (SQLite the chunked one); both give the same result:
duplicates found with both lines, merging, matching by email or phone, nothing queued when
nothing changed."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from syncs.imports import engine
from syncs.imports.errors import ErrorSink
from syncs.models import Customer, Priority, SyncState
from tests.factories import CustomerFactory
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,email,phone_number,first_name,can_email,is_deleted,date_joined,tags,"
    "COMPANY__tier,targeting:segment\n"
)


def test_postgresql_uses_the_copy_path_and_sqlite_the_chunked_one(tmp_path):
    header = ["external_id", "email"]
    errors = ErrorSink(tmp_path / "errors.csv", header, inline=10)
    importer = engine.kind_import_for(
        kind="customers", header=header, errors=errors, job_id=1, catalog_id=None
    )
    try:
        expected = (
            engine.CustomerCopyImport
            if connection.vendor == "postgresql"
            else engine.CustomerChunkedImport
        )
        assert type(importer) is expected
    finally:
        importer.close()
        errors.close()


def test_a_duplicate_key_within_the_file_names_both_lines(tmp_path):
    csv = (
        "external_id,email,first_name\n"
        "C-1,,Ann\n"
        ",bob@example.org,Bob\n"
        "C-1,,Annie\n"
        ",bob@example.org,Robert\n"
    )
    job = run_import(tmp_path, "customers", csv, skip_invalid=True)

    assert job.errors == [
        {"line": 4, "message": "duplicate of line 2"},
        {"line": 5, "message": "duplicate of line 3"},
    ]
    assert (job.rows_created, job.rows_invalid) == (2, 2)
    assert sorted(Customer.objects.values_list("first_name", flat=True)) == ["Ann", "Bob"]


def test_an_unchanged_reimport_queues_nothing(tmp_path, enqueued):
    csv = HEADER + "C-1,ann@example.org,+447757138957,Ann,yes,,2015-11-23,vip,gold,Retail\n"
    run_import(tmp_path, "customers", csv)
    assert enqueued == [("customer", ("citrusad", "custobar"))]
    SyncState.objects.update(status="confirmed", confirmed_version=1)
    enqueued.clear()

    job = run_import(tmp_path, "customers", csv)

    assert (job.rows_created, job.rows_updated, job.rows_unchanged) == (0, 0, 1)
    assert enqueued == []
    assert Customer.objects.get().version == 1
    assert set(SyncState.objects.values_list("status", "wanted_version")) == {("confirmed", 1)}


def test_a_changed_customer_is_pending_for_both_destinations_at_its_new_version(tmp_path):
    customer = CustomerFactory(external_id="C-1", first_name="Ann")
    SyncState.objects.create(
        destination="custobar",
        kind="customer",
        object_id=customer.pk,
        wanted_version=1,
        confirmed_version=1,
        status="confirmed",
        priority=Priority.MANUAL,
        changed_at=timezone.now(),
    )

    job = run_import(tmp_path, "customers", "external_id,first_name\nC-1,Annie\n")

    assert job.rows_updated == 1
    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Annie", 2)
    states = SyncState.objects.filter(object_id=customer.pk).order_by("destination")
    # A manual (higher) priority is kept until the row is pushed.
    assert list(states.values_list("destination", "status", "wanted_version", "priority")) == [
        ("citrusad", "pending", 2, Priority.BULK),
        ("custobar", "pending", 2, Priority.MANUAL),
    ]


MERGE = (
    HEADER
    # Empty cells clear; a false is_deleted keeps the deletion; an empty COMPANY__ cell removes
    # that key only; targeting: keys not in the file are kept.
    + "C-1,,,,,false,,,,Corporate\n"
    # An email shared by two customers finds the lowest id.
    + ",shared@example.org,,Shared,no,,,,,\n"
    # A phone number finds the customer that has it.
    + ",,+447757138957,Phoebe,,,2015-11-23T13:11:23Z,a|b,,\n"
    # An email that belongs to a customer with an external_id finds that customer.
    + ",keyed@example.org,,Keyed,yes,,,,silver,\n"
    # Unchanged.
    + "C-2,same@example.org,,Same,yes,,,,,\n"
    # New customers.
    + "C-NEW,new@example.org,+358401234567,New,yes,true,2015-11-23,vip,gold,Retail\n"
    + ",other@example.org,,,,,,,,\n"
)


def _stored_customers():
    Customer.objects.create(
        external_id="C-1",
        email="ann@example.org",
        first_name="Ann",
        can_email=True,
        is_deleted=True,
        tags=["old"],
        company_fields={"COMPANY__tier": "a", "COMPANY__size": "m"},
        targeting_data={"segment": "Retail", "region": "north"},
    )
    Customer.objects.create(email="shared@example.org", first_name="First")
    Customer.objects.create(email="shared@example.org", first_name="Second")
    Customer.objects.create(phone_number="+447757138957", first_name="P")
    Customer.objects.create(external_id="C-K", email="keyed@example.org", first_name="K")
    Customer.objects.create(
        external_id="C-2", email="same@example.org", first_name="Same", can_email=True
    )


def _snapshot(job):
    fields = [f.name for f in Customer._meta.concrete_fields if f.name not in ("id", "updated_at")]
    fields.remove("created_at")
    customers = list(Customer.objects.order_by("id").values(*fields))
    states = sorted(
        SyncState.objects.filter(kind="customer").values_list(
            "destination", "status", "wanted_version", "priority"
        )
    )
    counts = (job.status, job.rows_created, job.rows_updated, job.rows_unchanged, job.errors)
    return counts, customers, states


class _Undo(Exception):
    pass


def _import_and_undo(tmp_path, csv):
    """Run the import inside a savepoint, note the result, then roll it back."""
    try:
        with transaction.atomic():
            _stored_customers()
            snapshot = _snapshot(run_import(tmp_path, "customers", csv))
            raise _Undo
    except _Undo:
        return snapshot


def test_both_paths_merge_and_match_customers_the_same_way(tmp_path, monkeypatch):
    this_database = _import_and_undo(tmp_path, MERGE)
    monkeypatch.setattr(
        engine,
        "CustomerCopyImport",
        lambda **kwargs: engine.CustomerChunkedImport(**kwargs),
    )
    chunked = _import_and_undo(tmp_path, MERGE)

    assert this_database == chunked
    (status, created, updated, unchanged, errors), customers, states = chunked
    assert (status, created, updated, unchanged, errors) == ("succeeded", 2, 4, 1, [])
    ann, first, second, phoebe, keyed, same, new, other = customers
    assert (ann["first_name"], ann["can_email"], ann["is_deleted"], ann["tags"]) == (
        "",
        None,
        True,
        [],
    )
    assert ann["company_fields"] == {"COMPANY__size": "m"}
    assert ann["targeting_data"] == {"segment": "Corporate", "region": "north"}
    assert (first["first_name"], first["can_email"], second["first_name"]) == (
        "Shared",
        False,
        "Second",
    )
    assert (phoebe["first_name"], phoebe["tags"], phoebe["version"]) == ("Phoebe", ["a", "b"], 2)
    assert (keyed["external_id"], keyed["first_name"], keyed["company_fields"]) == (
        "",
        "Keyed",
        {"COMPANY__tier": "silver"},
    )
    assert same["version"] == 1
    assert (new["external_id"], new["is_deleted"], new["targeting_data"]) == (
        "C-NEW",
        True,
        {"segment": "Retail"},
    )
    assert (other["email"], other["external_id"], other["company_fields"]) == (
        "other@example.org",
        "",
        {},
    )
    # Six customers changed or new, each pending for CitrusAd and Custobar.
    assert len([s for s in states if s[1] == "pending"]) == 12


def test_two_rows_that_find_the_same_customer_update_it_once_from_the_first(tmp_path):
    customer = CustomerFactory(external_id="C-1", email="ann@example.org", first_name="Ann")
    csv = "external_id,email,first_name\nC-1,ann@example.org,Annie\n,ann@example.org,Anna\n"

    job = run_import(tmp_path, "customers", csv)

    assert job.status == "succeeded", job.message
    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Annie", 2)
