"""Products and customers of a search as CSV, in the import format: edit it, upload it again.

Each file has the columns an import reads (syncs/imports/rows.py), with the values written the
way the import parses them back, so an export imported unchanged changes nothing. It is
streamed: a million rows never sit in memory. A cell a spreadsheet would run as a formula
("=…", "+…", "@…") starts with `'`, as in the import's error files; the files carry the
error files' empty `error` column, which is what tells the import to read those cells back
exactly (a phone number "+358…" is imported as "+358…").
"""

import csv
import datetime
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from syncs.imports.reading import ERROR_COLUMN, formula_safe
from syncs.imports.rows import CUSTOMER_FIELDS, CUSTOMER_TARGETING_PREFIX, PRODUCT_COLUMNS
from syncs.selectors.customers import customer_search_queryset
from syncs.selectors.products import product_search
from syncs.services.audit import audit_event_record

CHUNK = 2000  # rows fetched at a time


def _cell(value: Any) -> str:
    """A value as the import parses it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [str(item) for item in value]
        # Items separated by "|", unless one holds a "|": then a JSON array.
        if any("|" in item for item in items):
            return json.dumps(items, ensure_ascii=False)
        return "|".join(items)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"  # a BOM, so spreadsheet programs read the file as UTF-8
    for cells in (header + [ERROR_COLUMN], *([*(_cell(v) for v in row), ""] for row in rows)):
        writer.writerow([formula_safe(cell) for cell in cells])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def product_export_csv(*, search: Mapping[str, Any]) -> Iterator[str]:
    """The products of a product search, as a products import file."""
    fields = [f for f in PRODUCT_COLUMNS.values() if f != "catalog"]
    products = (
        product_search(**search)
        .order_by("pk")
        .values_list("catalog__citrusad_id", *fields)
        .iterator(chunk_size=CHUNK)
    )
    return _csv_lines(list(PRODUCT_COLUMNS), products)


def _dict_keys(customers, field: str) -> list[str]:
    keys: set[str] = set()
    for value in customers.values_list(field, flat=True).iterator(chunk_size=CHUNK):
        keys.update(value or {})
    return sorted(keys)


def customer_export_csv(*, q: str, actor: AbstractBaseUser) -> Iterator[str]:
    """The customers of a customer search, as a customers import file (audited: personal
    data leaving the console)."""
    customers = customer_search_queryset(q=q).order_by("pk")
    company = _dict_keys(customers, "company_fields")
    targeting = _dict_keys(customers, "targeting_data")
    header = [
        *CUSTOMER_FIELDS,
        *company,
        *(f"{CUSTOMER_TARGETING_PREFIX}{key}" for key in targeting),
    ]
    audit_event_record(
        actor=actor,
        action="customer.export",
        object_kind="customer",
        object_id="search",
        object_repr=f"Customers matching {q!r}"[:300],
        after={"search": q, "rows": customers.count()},
    )

    def rows() -> Iterator[list[Any]]:
        for customer in customers.iterator(chunk_size=CHUNK):
            yield [
                *(getattr(customer, name) for name in CUSTOMER_FIELDS),
                *(customer.company_fields.get(key, "") for key in company),
                *(customer.targeting_data.get(key, "") for key in targeting),
            ]

    return _csv_lines(header, rows())
