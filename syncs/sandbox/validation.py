"""The documented rules each endpoint checks; each problem becomes `{"code", "message"}`.

Messages name the item's position and field (`catalogProducts[3].gtin`), as an integrator needs.
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import pycountry

MAX_CODE_LENGTH = 50  # gtin and sellerId
MAX_LIST_ITEM_LENGTH = 750  # a tag, filter or group string
MAX_ORDER_ITEMS = 1000

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9-]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{5,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Problems(list):
    def add(self, code: str, where: str, message: str) -> None:
        self.append({"code": code, "message": f"{where}: {message}"})


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_number(value):
    """A documented "number" sent as a string or a number, answered as a JSON number."""
    if value is None:
        return None
    if is_number(value):
        return value
    return float(Decimal(value))


def check_decimal(problems: Problems, where: str, value, *, required: bool, negative_ok=False):
    if value is None:
        if required:
            problems.add("REQUIRED", where, "is required")
        return
    if is_number(value):
        number = Decimal(str(value))
    elif isinstance(value, str) and _DECIMAL.match(value):
        try:
            number = Decimal(value)
        except InvalidOperation:
            problems.add("FORMAT", where, f"{value!r} is not a number")
            return
    else:
        problems.add("FORMAT", where, f"must be a number or a numeric string, not {value!r}")
        return
    if number < 0 and not negative_ok:
        problems.add("RANGE", where, "must not be negative")


def check_string(problems, where, value, *, required=False, max_length=None, allow_empty=True):
    if value is None:
        if required:
            problems.add("REQUIRED", where, "is required")
        return
    if not isinstance(value, str):
        problems.add("TYPE", where, f"must be a string, not {type(value).__name__}")
        return
    if (required or not allow_empty) and value == "":
        problems.add("REQUIRED", where, "must not be empty")
    if max_length is not None and len(value) > max_length:
        problems.add("LENGTH", where, f"is {len(value)} characters; the limit is {max_length}")


def check_string_list(problems, where, value, *, max_length=MAX_LIST_ITEM_LENGTH):
    if not isinstance(value, list):
        problems.add("TYPE", where, "must be a list of strings")
        return
    for index, item in enumerate(value):
        check_string(problems, f"{where}[{index}]", item, required=True, max_length=max_length)


def check_iso_datetime(problems, where, value, *, required: bool, date_only=False):
    if value is None:
        if required:
            problems.add("REQUIRED", where, "is required")
        return
    if not isinstance(value, str):
        problems.add("TYPE", where, "must be an ISO 8601 date string")
        return
    try:
        if date_only:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        form = "YYYY-MM-DD" if date_only else "an ISO 8601 date, e.g. 2019-12-02T15:00:00Z"
        problems.add("FORMAT", where, f"{value!r} is not {form}")


def check_unknown_keys(problems, where, item: dict, known: set[str]):
    for key in item:
        if key not in known:
            problems.add("UNKNOWN_FIELD", f"{where}.{key}", "is not a documented field")


def batch_items(body, wrapper: str, max_items: int) -> tuple[list | None, Problems]:
    """The list under `wrapper`, or the problems with the envelope."""
    problems = Problems()
    if not isinstance(body, dict) or wrapper not in body:
        problems.add("REQUIRED", wrapper, f'the body must be a JSON object with "{wrapper}"')
        return None, problems
    items = body[wrapper]
    if not isinstance(items, list):
        problems.add("TYPE", wrapper, "must be a list")
        return None, problems
    if not items:
        problems.add("REQUIRED", wrapper, "must contain at least one item")
    elif len(items) > max_items:
        problems.add(
            "TOO_MANY_ITEMS", wrapper, f"{len(items)} items; at most {max_items} per request"
        )
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.add("TYPE", f"{wrapper}[{index}]", "must be an object")
    return items, problems


# --- CitrusAd ---

CATALOG_KEYS = {"name"}
PRODUCT_KEYS = {
    "catalogId",
    "gtin",
    "sellerId",
    "inventory",
    "price",
    "profit",
    "tags",
    "filters",
    "groups",
}
CUSTOMER_KEYS = {"id", "targetingData", "gender", "postcode", "suburb", "yearOfBirth", "teamId"}
ORDER_KEYS = {"id", "teamId", "customerId", "sessionId", "orderDate", "orderItems", "adIds"}
ORDER_ITEM_KEYS = {
    "gtin",
    "quantity",
    "regularUnitPrice",
    "totalOrderItemPriceAfterDiscounts",
    "adId",
    "citrusDiscountAmount",
    "substitutedFor",
}


def check_catalog(problems: Problems, where: str, item: dict) -> None:
    check_unknown_keys(problems, where, item, CATALOG_KEYS)
    check_string(problems, f"{where}.name", item.get("name"), required=True, max_length=200)


def check_product(problems: Problems, where: str, item: dict) -> None:
    check_unknown_keys(problems, where, item, PRODUCT_KEYS)
    check_string(
        problems, f"{where}.catalogId", item.get("catalogId"), required=True, max_length=64
    )
    check_string(
        problems, f"{where}.gtin", item.get("gtin"), required=True, max_length=MAX_CODE_LENGTH
    )
    check_string(problems, f"{where}.sellerId", item.get("sellerId"), max_length=MAX_CODE_LENGTH)
    inventory = item.get("inventory")
    if inventory is not None and (not is_int(inventory) or inventory < 0):
        problems.add("TYPE", f"{where}.inventory", "must be a whole number of at least 0")
    check_decimal(problems, f"{where}.price", item.get("price"), required=False)
    check_decimal(problems, f"{where}.profit", item.get("profit"), required=False, negative_ok=True)
    for key in ("tags", "filters", "groups"):
        if item.get(key) is not None:
            check_string_list(problems, f"{where}.{key}", item[key])


def check_citrus_customer(problems: Problems, where: str, item: dict) -> None:
    check_unknown_keys(problems, where, item, CUSTOMER_KEYS)
    check_string(problems, f"{where}.id", item.get("id"), max_length=200, allow_empty=False)
    targeting = item.get("targetingData")
    if targeting is not None and not isinstance(targeting, dict):
        problems.add("TYPE", f"{where}.targetingData", "must be an object")
    for key in ("gender", "postcode", "suburb", "teamId"):
        check_string(problems, f"{where}.{key}", item.get(key))
    year = item.get("yearOfBirth")
    if year is not None and not is_int(year):
        problems.add("TYPE", f"{where}.yearOfBirth", "must be a whole number")


def check_order(problems: Problems, where: str, item: dict) -> None:
    check_unknown_keys(problems, where, item, ORDER_KEYS)
    for key in ("id", "teamId", "customerId", "sessionId"):
        check_string(problems, f"{where}.{key}", item.get(key), max_length=200)
    ad_ids = item.get("adIds")
    if ad_ids is not None and not isinstance(ad_ids, str):
        check_string_list(problems, f"{where}.adIds", ad_ids, max_length=200)
    check_iso_datetime(problems, f"{where}.orderDate", item.get("orderDate"), required=True)
    order_items = item.get("orderItems")
    if order_items is None:
        problems.add("REQUIRED", f"{where}.orderItems", "is required")
        return
    if not isinstance(order_items, list) or not order_items:
        problems.add("TYPE", f"{where}.orderItems", "must be a non-empty list")
        return
    if len(order_items) > MAX_ORDER_ITEMS:
        problems.add("TOO_MANY_ITEMS", f"{where}.orderItems", f"at most {MAX_ORDER_ITEMS} items")
    for index, order_item in enumerate(order_items):
        item_where = f"{where}.orderItems[{index}]"
        if not isinstance(order_item, dict):
            problems.add("TYPE", item_where, "must be an object")
            continue
        check_unknown_keys(problems, item_where, order_item, ORDER_ITEM_KEYS)
        check_string(
            problems,
            f"{item_where}.gtin",
            order_item.get("gtin"),
            required=True,
            max_length=MAX_CODE_LENGTH,
        )
        quantity = order_item.get("quantity")
        if quantity is None:
            problems.add("REQUIRED", f"{item_where}.quantity", "is required")
        elif not is_int(quantity) or quantity < 0:
            problems.add("TYPE", f"{item_where}.quantity", "must be a whole number of at least 0")
        check_decimal(
            problems,
            f"{item_where}.regularUnitPrice",
            order_item.get("regularUnitPrice"),
            required=True,
        )
        check_decimal(
            problems,
            f"{item_where}.totalOrderItemPriceAfterDiscounts",
            order_item.get("totalOrderItemPriceAfterDiscounts"),
            required=True,
        )
        check_decimal(
            problems,
            f"{item_where}.citrusDiscountAmount",
            order_item.get("citrusDiscountAmount"),
            required=False,
        )
        check_string(problems, f"{item_where}.adId", order_item.get("adId"), max_length=200)
        substituted = order_item.get("substitutedFor")
        if substituted is not None and not isinstance(substituted, str | dict):
            problems.add("TYPE", f"{item_where}.substitutedFor", "must be a GTIN or an order item")


# --- Custobar ---

CUSTOBAR_TEXT = {
    "canonical_id",
    "first_name",
    "last_name",
    "shop_id",
    "city",
    "company",
    "gender",
    "house_number",
    "house_number_addition",
    "province",
    "street_address",
    "street_name",
    "vat_number",
    "zip_code",
}
CUSTOBAR_BOOLEANS = {
    "can_email",
    "can_post",
    "can_profile",
    "can_push",
    "can_sms",
    "is_deleted",
    "is_forgotten",
}
CUSTOBAR_DATETIMES = {"date_joined", "last_login"}
CUSTOBAR_IDENTIFIERS = ("external_id", "phone_number", "email")
CUSTOBAR_LIST_EDITS = {"tags.add", "tags.remove", "mailing_lists.add", "mailing_lists.remove"}


def custobar_identifier(item: dict) -> str:
    for key in CUSTOBAR_IDENTIFIERS:
        if item.get(key):
            return str(item[key])
    return ""


def check_custobar_customer(problems: Problems, where: str, item: dict) -> None:
    if not custobar_identifier(item):
        problems.add("REQUIRED", where, "needs at least one of external_id, phone_number or email")
    for key, value in item.items():
        at = f"{where}.{key}"
        if value == "":
            continue  # an empty string removes the key
        if key == "external_id":
            if not isinstance(value, str) or not _EXTERNAL_ID.match(value):
                problems.add("FORMAT", at, "must consist of letters, numbers and dashes only")
        elif key == "phone_number":
            if not isinstance(value, str) or not _PHONE.match(value):
                problems.add(
                    "FORMAT", at, "must be in a country prefixed format, e.g. +358101234567"
                )
        elif key == "email":
            if not isinstance(value, str) or not _EMAIL.match(value):
                problems.add("FORMAT", at, "is not an email address")
        elif key in CUSTOBAR_TEXT:
            check_string(problems, at, value)
        elif key in CUSTOBAR_BOOLEANS:
            if not isinstance(value, bool):
                problems.add("TYPE", at, "must be true or false")
        elif key in CUSTOBAR_DATETIMES:
            check_iso_datetime(problems, at, value, required=True)
        elif key == "birth_date":
            check_iso_datetime(problems, at, value, required=True, date_only=True)
        elif key == "country":
            if not isinstance(value, str) or not pycountry.countries.get(alpha_2=value.upper()):
                problems.add("FORMAT", at, "must be a two-letter country code, e.g. se")
        elif key == "language":
            if not isinstance(value, str) or not _is_language(value):
                problems.add("FORMAT", at, "must be a language code, e.g. sv")
        elif key == "tags":
            check_string_list(problems, at, value, max_length=None)
        elif key == "mailing_lists" or key in CUSTOBAR_LIST_EDITS:
            if not isinstance(value, str):
                check_string_list(problems, at, value, max_length=None)
        elif _is_company_field(key):
            if not isinstance(value, str | int | float | bool | list) and value is not None:
                problems.add("TYPE", at, "must be a string, number, boolean or list")
        else:
            problems.add(
                "UNKNOWN_FIELD",
                at,
                "is not a documented field (company fields are named COMPANY__field)",
            )


def _is_company_field(key: str) -> bool:
    prefix, sep, name = key.partition("__")
    return bool(sep and prefix and name)


def _is_language(value: str) -> bool:
    code = value.split("-")[0].split("_")[0].lower()
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code) is not None
    return len(code) == 3 and pycountry.languages.get(alpha_3=code) is not None
