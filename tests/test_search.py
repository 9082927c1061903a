import sqlite3
from types import SimpleNamespace

import pytest

from syncs.search import (
    fold,
    gtin_scan_forms,
    order_id_without_prefix,
    phone_forms,
    sqlite_functions_register,
)


@pytest.mark.parametrize(
    ("code", "forms"),
    [
        ("4006381333931", ["4006381333931", "04006381333931"]),
        ("04006381333931", ["4006381333931", "04006381333931"]),
        ("012345678905", ["012345678905", "0012345678905", "00012345678905"]),
        ("96385074", ["96385074", "000096385074", "0000096385074", "00000096385074"]),
        ("1234567", []),  # too short to be a GTIN: a prefix search
        ("SKU-123", []),
        ("123456789012345", []),
    ],
)
def test_gtin_forms_add_and_remove_leading_zeros(code, forms):
    assert gtin_scan_forms(code) == forms


def test_fold_removes_accents_and_case():
    assert fold("Crème Brûlée ÅÄÖ") == "creme brulee aao"


def test_sqlite_connections_get_the_folding_function_postgresql_gets_from_the_migration():
    raw = sqlite3.connect(":memory:")
    sqlite_functions_register(
        sender=None, connection=SimpleNamespace(vendor="sqlite", connection=raw)
    )
    assert raw.execute("SELECT citrusadmin_unaccent('Crème Brûlée')").fetchone() == (
        "creme brulee",
    )
    assert raw.execute("SELECT citrusadmin_unaccent(NULL)").fetchone() == (None,)


def test_a_phone_number_written_the_national_way_is_a_number_per_country():
    forms = phone_forms("07700 922809")
    assert "GB" in forms["+447700922809"]
    assert "FI" in forms["+3587700922809"] and "GB" not in forms["+3587700922809"]
    assert phone_forms("+44 7700 922809") == {"+447700922809": set()}
    assert phone_forms("0044 7700 922809") == {"+447700922809": set()}
    assert phone_forms("aino@example.org") == {} and phone_forms("12") == {}


@pytest.mark.parametrize(
    ("order_id", "typed", "found"),
    [
        ("ORD-10023", "10023", True),
        ("ORD10023", "10023", True),
        ("ORD-110023", "10023", False),
        ("10023", "10023", False),  # that is the whole id, found by the prefix search
        ("2026/A-7", "A-7", True),
    ],
)
def test_an_order_id_without_its_prefix(order_id, typed, found):
    assert order_id_without_prefix(order_id, typed) is found
