"""Turning one CSV record into the values a model row holds, or a clear reason why not.

Each kind has a `Columns` object built from the header (which columns are present, at which
position) and a parser that takes a record's cells and returns a dict of model field -> value.
Only present columns appear in the dict: an absent column leaves the stored value alone, an empty
cell means "no value" (empty text, empty list, null).
"""

import functools
import re
from dataclasses import dataclass

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from syncs.imports.cells import (
    RowError,
    gtin_warning,
    parse_bool,
    parse_code,
    parse_date,
    parse_datetime,
    parse_gtin,
    parse_money,
    parse_phone,
    parse_strings,
    parse_text,
    parse_whole,
)
from syncs.imports.reading import ERROR_COLUMN, WARNING_COLUMN, ImportFileError
from syncs.models.customer import CUSTOBAR_PERMISSION_FIELDS, CUSTOBAR_TEXT_FIELDS, Customer
from syncs.models.product import Product

_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9-]+$")


# The columns an error file adds: a corrected error file can be uploaded again as it is.
_ERROR_FILE_COLUMNS = (ERROR_COLUMN, WARNING_COLUMN)


# --- Columns --------------------------------------------------------------------------------


PRODUCT_COLUMNS = {
    # CSV header (CitrusAd's field name) -> Product field
    "catalogId": "catalog",
    "gtin": "gtin",
    "sellerId": "seller_id",
    "inventory": "inventory",
    "price": "price",
    "profit": "profit",
    "name": "name",
    "imageUrl": "image_url",
    "tags": "tags",
    "filters": "filters",
    "groups": "groups",
}
CUSTOMER_FIELDS = (
    ("external_id", "email", "phone_number")
    + CUSTOBAR_TEXT_FIELDS
    + CUSTOBAR_PERMISSION_FIELDS
    + ("date_joined", "last_login", "birth_date", "tags", "mailing_lists")
    + ("is_deleted", "is_forgotten")
)
CUSTOMER_COMPANY_PREFIX = "__"  # COMPANY__field
CUSTOMER_TARGETING_PREFIX = "targeting:"
ORDER_COLUMNS = {
    "id": "order_id",
    "customerId": "customer_id",
    "sessionId": "session_id",
    "orderDate": "order_date",
    "adIds": "ad_ids",
    "gtin": "gtin",
    "quantity": "quantity",
    "regularUnitPrice": "regular_unit_price",
    "totalOrderItemPriceAfterDiscounts": "total_order_item_price_after_discounts",
    "adId": "ad_id",
    "citrusDiscountAmount": "citrus_discount_amount",
    "substitutedFor": "substituted_for",
}
ORDER_LEVEL_FIELDS = ("customer_id", "session_id", "order_date", "ad_ids")
ORDER_ITEM_FIELDS = (
    "gtin",
    "quantity",
    "regular_unit_price",
    "total_order_item_price_after_discounts",
    "ad_id",
    "citrus_discount_amount",
    "substituted_for",
)
REQUIRED_ORDER_COLUMNS = (
    "id",
    "orderDate",
    "gtin",
    "quantity",
    "regularUnitPrice",
    "totalOrderItemPriceAfterDiscounts",
)


@dataclass(frozen=True)
class Columns:
    """Where each known column sits in a header, and which columns are absent."""

    header: list[str]
    index: dict[str, int]  # header name -> position

    @classmethod
    def from_header(cls, header: list[str], *, known, what: str) -> "Columns":
        index: dict[str, int] = {}
        for position, name in enumerate(header):
            if not name:
                # Spreadsheets often save empty columns after the last one: those are ignored.
                if not any(header[position:]):
                    break
                raise ImportFileError(f"Column {position + 1} of the header has no name.")
            if name in index:
                raise ImportFileError(f"The header names the column {name!r} twice.")
            index[name] = position
            if name not in _ERROR_FILE_COLUMNS and not known(name):
                raise ImportFileError(f"Unknown column {name!r} in the header (line 1). {what}")
        for name in _ERROR_FILE_COLUMNS:
            index.pop(name, None)
        return cls(header=header, index=index)

    def has(self, name: str) -> bool:
        return name in self.index

    def require(self, *names: str) -> None:
        missing = [name for name in names if name not in self.index]
        if missing:
            raise ImportFileError(
                "The header lacks the required column"
                + ("s " if len(missing) > 1 else " ")
                + ", ".join(repr(m) for m in missing)
                + "."
            )


def check_width(columns: Columns, cells: list[str]) -> None:
    """The row has the header's cells, none holding a NUL (PostgreSQL cannot store one)."""
    if len(cells) != len(columns.header):
        raise RowError(f"the row has {len(cells)} cells; the header has {len(columns.header)}")
    if "\x00" in "".join(cells):
        position = next(i for i, cell in enumerate(cells) if "\x00" in cell)
        raise RowError(
            f"{columns.header[position]} contains a NUL character, which cannot be stored"
        )


# --- Products -------------------------------------------------------------------------------


def product_columns(header: list[str]) -> Columns:
    columns = Columns.from_header(
        header,
        known=PRODUCT_COLUMNS.__contains__,
        what="Product columns are: " + ", ".join(PRODUCT_COLUMNS) + ".",
    )
    columns.require("gtin")
    return columns


def product_fields(columns: Columns) -> tuple[str, ...]:
    """The Product fields the file sets (an absent column leaves the stored value alone)."""
    return tuple(
        field
        for header, field in PRODUCT_COLUMNS.items()
        if columns.has(header) and field not in ("catalog", "gtin", "seller_id")
    )


def product_field_columns(fields: tuple[str, ...]) -> dict[str, str]:
    """Each Product field the file sets -> its CSV column."""
    headers = {field: header for header, field in PRODUCT_COLUMNS.items()}
    return {field: headers[field] for field in fields}


# The model's limits (the name and image URL travel as 750-character tags).
_NAME_MAX_LENGTH = Product._meta.get_field("name").max_length
_IMAGE_URL_MAX_LENGTH = Product._meta.get_field("image_url").max_length


def parse_product(
    columns: Columns, cells: list[str], *, has_default_catalog: bool, warnings: list[str]
) -> dict:
    """One product row: {"catalog_ref": str | None, "gtin", "seller_id", and the set fields};
    what is worth a warning but imports all the same is appended to `warnings`."""
    check_width(columns, cells)
    index = columns.index
    row: dict = {}
    catalog_ref = ""
    if "catalogId" in index:
        catalog_ref = parse_code("catalogId", cells[index["catalogId"]], 64)
    if not catalog_ref and not has_default_catalog:
        raise RowError("catalogId is required (or choose a catalog for the whole file)")
    row["catalog_ref"] = catalog_ref or None
    row["gtin"] = parse_gtin("gtin", cells[index["gtin"]])
    if warning := gtin_warning("gtin", row["gtin"]):
        warnings.append(warning)
    row["seller_id"] = (
        parse_code("sellerId", cells[index["sellerId"]]) if "sellerId" in index else ""
    )
    if "inventory" in index:
        row["inventory"] = parse_whole("inventory", cells[index["inventory"]], required=True)
    if "price" in index:
        row["price"] = parse_money("price", cells[index["price"]])
    if "profit" in index:
        row["profit"] = parse_money("profit", cells[index["profit"]], negative=True)
    if "name" in index:
        row["name"] = parse_text("name", cells[index["name"]], _NAME_MAX_LENGTH)
    if "imageUrl" in index:
        url = parse_text("imageUrl", cells[index["imageUrl"]], _IMAGE_URL_MAX_LENGTH)
        if url and not _URL.match(url):
            raise RowError(f"imageUrl {url[:80]!r} is not an http(s) URL")
        row["image_url"] = url
    for column in ("tags", "filters", "groups"):
        if column in index:
            row[column] = parse_strings(column, cells[index[column]])
    return row


# --- Customers ------------------------------------------------------------------------------


def _is_customer_column(name: str) -> bool:
    if name in CUSTOMER_FIELDS:
        return True
    if name.startswith(CUSTOMER_TARGETING_PREFIX):
        return bool(name[len(CUSTOMER_TARGETING_PREFIX) :].strip())
    prefix, sep, field = name.partition(CUSTOMER_COMPANY_PREFIX)
    return bool(sep and prefix and field)


def customer_columns(header: list[str]) -> Columns:
    columns = Columns.from_header(
        header,
        known=_is_customer_column,
        what=(
            "Customer columns are Custobar's fields (external_id, email, phone_number, "
            "first_name, …), COMPANY__field, and targeting:<key>."
        ),
    )
    if not any(columns.has(name) for name in ("external_id", "email", "phone_number")):
        raise ImportFileError("The header needs one of external_id, email or phone_number.")
    return columns


def customer_fields(columns: Columns) -> tuple[str, ...]:
    """The Customer fields the file sets; COMPANY__ and targeting: columns set the dict fields."""
    fields = [name for name in CUSTOMER_FIELDS if columns.has(name)]
    if any(
        CUSTOMER_COMPANY_PREFIX in name and name not in CUSTOMER_FIELDS for name in columns.index
    ):
        fields.append("company_fields")
    if any(name.startswith(CUSTOMER_TARGETING_PREFIX) for name in columns.index):
        fields.append("targeting_data")
    return tuple(fields)


def customer_field_columns(fields: tuple[str, ...]) -> dict[str, str]:
    """Each Customer field the file sets -> the CSV column(s) a person knows it by."""
    names = {"company_fields": "COMPANY__ fields", "targeting_data": "targeting: keys"}
    return {field: names.get(field, field) for field in fields}


def customer_dict_keys(columns: Columns) -> dict[str, list[str]]:
    """For each dict field, the keys the file speaks for (an empty cell removes the key)."""
    company = [
        n for n in columns.index if CUSTOMER_COMPANY_PREFIX in n and n not in CUSTOMER_FIELDS
    ]
    targeting = [
        n[len(CUSTOMER_TARGETING_PREFIX) :].strip()
        for n in columns.index
        if n.startswith(CUSTOMER_TARGETING_PREFIX)
    ]
    return {"company_fields": company, "targeting_data": targeting}


_CUSTOMER_MAX_LENGTHS = {
    name: Customer._meta.get_field(name).max_length for name in CUSTOBAR_TEXT_FIELDS
}


def parse_customer(columns: Columns, cells: list[str]) -> dict:
    """One customer row: the set fields, plus the keys each dict field's columns speak for."""
    check_width(columns, cells)
    index = columns.index
    row: dict = {}
    if "country" in index:
        country = cells[index["country"]].strip().upper()
        if country and pycountry.countries.get(alpha_2=country) is None:
            raise RowError(f"country {country!r} is not an ISO 3166 two-letter code")
        row["country"] = country
    if "language" in index:
        language = cells[index["language"]].strip().lower()
        if language and pycountry.languages.get(alpha_2=language) is None:
            raise RowError(f"language {language!r} is not an ISO 639-1 two-letter code")
        row["language"] = language
    if "external_id" in index:
        external_id = parse_text("external_id", cells[index["external_id"]], 100)
        if external_id and not _EXTERNAL_ID.match(external_id):
            raise RowError(f"external_id {external_id!r} may hold only letters, numbers and dashes")
        row["external_id"] = external_id
    if "email" in index:
        email = parse_text("email", cells[index["email"]], 254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise RowError(f"email {email!r} is not an email address") from None
        row["email"] = email
    if "phone_number" in index:
        row["phone_number"] = parse_phone(cells[index["phone_number"]], row.get("country", ""))
    if not (row.get("external_id") or row.get("email") or row.get("phone_number")):
        raise RowError("one of external_id, email or phone_number is required")
    for name in CUSTOBAR_TEXT_FIELDS:
        if name in index and name not in ("country", "language"):
            row[name] = parse_text(name, cells[index[name]], _CUSTOMER_MAX_LENGTHS[name])
    for name in CUSTOBAR_PERMISSION_FIELDS:
        if name in index:
            row[name] = parse_bool(name, cells[index[name]])
    for name in ("is_deleted", "is_forgotten"):
        # Custobar cannot undo either, so false (or empty) leaves the stored value as it is.
        if name in index and parse_bool(name, cells[index[name]]):
            row[name] = True
    for name in ("date_joined", "last_login"):
        if name in index:
            row[name] = parse_datetime(name, cells[index[name]])
    if "birth_date" in index:
        row["birth_date"] = parse_date("birth_date", cells[index["birth_date"]])
    for name in ("tags", "mailing_lists"):
        if name in index:
            row[name] = parse_strings(name, cells[index[name]])
    company: dict[str, str] = {}
    targeting: dict[str, str] = {}
    for name, position in index.items():
        if name in CUSTOMER_FIELDS:
            continue
        value = cells[position].strip()
        if not value:
            continue
        if name.startswith(CUSTOMER_TARGETING_PREFIX):
            targeting[name[len(CUSTOMER_TARGETING_PREFIX) :].strip()] = value
        else:
            company[name] = value
    row["company_fields"] = company
    row["targeting_data"] = targeting
    return row


def customer_key(row: dict) -> tuple[str, str]:
    """How a row finds its stored customer: external_id, else email, else phone number."""
    for name in ("external_id", "email", "phone_number"):
        if row.get(name):
            return name, row[name]
    raise RowError("one of external_id, email or phone_number is required")


# --- Orders ---------------------------------------------------------------------------------


def order_columns(header: list[str]) -> Columns:
    columns = Columns.from_header(
        header,
        known=ORDER_COLUMNS.__contains__,
        what="Order columns are: " + ", ".join(ORDER_COLUMNS) + ".",
    )
    columns.require(*REQUIRED_ORDER_COLUMNS)
    return columns


def order_fields(columns: Columns) -> tuple[str, ...]:
    return tuple(
        ORDER_COLUMNS[header]
        for header in ("customerId", "sessionId", "orderDate", "adIds")
        if columns.has(header)
    )


def order_field_columns(fields: tuple[str, ...]) -> dict[str, str]:
    """Each Order field the file sets (and `items`) -> its CSV column."""
    headers = {field: header for header, field in ORDER_COLUMNS.items()}
    return {**{field: headers[field] for field in fields}, "items": "items"}


# Order rows name the same products again and again: their GTINs are checked once.
_order_item_gtin = functools.lru_cache(maxsize=65536)(parse_gtin)
_order_gtin_warning = functools.lru_cache(maxsize=65536)(gtin_warning)


def parse_order_item(columns: Columns, cells: list[str], *, warnings: list[str]) -> dict:
    """One order item row: {"order_id", the order-level fields, "item": {...}}; a GTIN or
    substitutedFor with a wrong check digit is appended to `warnings`."""
    check_width(columns, cells)
    index = columns.index
    order_id = parse_text("id", cells[index["id"]], 100)
    if not order_id:
        raise RowError("id (the order id) is required")
    row: dict = {"order_id": order_id}
    if "customerId" in index:
        row["customer_id"] = parse_text("customerId", cells[index["customerId"]], 100)
    if "sessionId" in index:
        row["session_id"] = parse_text("sessionId", cells[index["sessionId"]], 200)
    row["order_date"] = parse_datetime("orderDate", cells[index["orderDate"]], required=True)
    if "adIds" in index:
        row["ad_ids"] = parse_strings("adIds", cells[index["adIds"]])
    quantity = parse_whole("quantity", cells[index["quantity"]], required=True)
    if quantity == 0:
        raise RowError("quantity must be at least 1")
    row["item"] = {
        "gtin": _order_item_gtin("gtin", cells[index["gtin"]]),
        "quantity": quantity,
        "regular_unit_price": parse_money(
            "regularUnitPrice", cells[index["regularUnitPrice"]], required=True
        ),
        "total_order_item_price_after_discounts": parse_money(
            "totalOrderItemPriceAfterDiscounts",
            cells[index["totalOrderItemPriceAfterDiscounts"]],
            required=True,
        ),
        "ad_id": parse_text("adId", cells[index["adId"]], 200) if "adId" in index else "",
        "citrus_discount_amount": (
            parse_money("citrusDiscountAmount", cells[index["citrusDiscountAmount"]])
            if "citrusDiscountAmount" in index
            else None
        ),
        "substituted_for": (
            parse_code("substitutedFor", cells[index["substitutedFor"]])
            if "substitutedFor" in index
            else ""
        ),
    }
    item = row["item"]
    if warning := _order_gtin_warning("gtin", item["gtin"]):
        warnings.append(warning)
    if item["substituted_for"] and (
        warning := _order_gtin_warning("substitutedFor", item["substituted_for"])
    ):
        warnings.append(warning)
    return row
