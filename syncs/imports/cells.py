"""One cell at a time: text, product codes, whole numbers, amounts, lists, dates, booleans and
phone numbers, each parsed to the value a model field holds or refused with a RowError that
names the column and the reason."""

import datetime
import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.utils import timezone
from stdnum import ean

from syncs.imports.reading import parse_list
from syncs.models.product import GTIN_MAX_LENGTH
from syncs.models.validators import MAX_LIST_ITEM_LENGTH

MAX_INVENTORY = 2_147_483_647
_MAX_MONEY = Decimal("10000000000")  # DecimalField(max_digits=12, decimal_places=2)
_CENT = Decimal("0.01")
# An amount with exactly two decimals and at most ten digits before them needs no other check.
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,10}\.[0-9]{2}")
_GTIN_CHECKED_LENGTHS = (8, 12, 13, 14)
# Whitespace, and characters that would break the product's URL in CitrusAd's GET/DELETE path.
_BAD_CODE_CHARS = re.compile(r"[\s/?#%]")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


class RowError(ValueError):
    """This record cannot be imported; the message names the column and the reason."""


def parse_text(column: str, value: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise RowError(f"{column} is {len(value)} characters long; the limit is {max_length}")
    return value


def parse_code(column: str, value: str, max_length: int = GTIN_MAX_LENGTH) -> str:
    """A GTIN, SKU, seller id: at most 50 characters, nothing that breaks a URL path."""
    value = parse_text(column, value, max_length)
    if _BAD_CODE_CHARS.search(value):
        raise RowError(f"{column} {value!r} contains a space, '/', '?', '#' or '%'")
    return value


def _check_digit_ok(digits: str) -> bool:
    """The GS1 check: weights 3 and 1 from the right; the same sum python-stdnum computes."""
    total = sum(map(int, digits[-2::-2])) * 3 + sum(map(int, digits[-3::-2])) + int(digits[-1])
    return total % 10 == 0


def parse_gtin(column: str, value: str) -> str:
    """A product code: required, and one CitrusAd can take (see parse_code)."""
    value = parse_code(column, value)
    if not value:
        raise RowError(f"{column} is required")
    return value


def gtin_warning(column: str, value: str) -> str:
    """A warning when a GTIN-shaped code (8, 12, 13 or 14 digits) has a wrong GS1 check digit.

    CitrusAd takes any product code ("can be substituted for any unique code or SKU"; its own
    example 23556578965543 has no valid check digit), so this never refuses the row.
    The quick sum clears the million good ones; python-stdnum has the last word on the rest.
    """
    if (
        value.isascii()  # "²".isdigit() is true, and int("²") fails
        and value.isdigit()
        and len(value) in _GTIN_CHECKED_LENGTHS
        and not _check_digit_ok(value)
        and not ean.is_valid(value)
    ):
        return f"{column} {value} has a wrong GS1 check digit (imported as it is)"
    return ""


def parse_whole(column: str, value: str, *, required: bool = False) -> int | None:
    value = value.strip()
    if not value:
        if required:
            raise RowError(f"{column} is required")
        return None
    try:
        number = int(value)
    except ValueError:
        raise RowError(f"{column} must be a whole number, not {value!r}") from None
    if number < 0:
        raise RowError(f"{column} must not be negative ({number})")
    if number > MAX_INVENTORY:
        raise RowError(f"{column} {number} is too large")
    return number


def parse_money(
    column: str, value: str, *, required: bool = False, negative: bool = False
) -> Decimal | None:
    value = value.strip()
    if _PLAIN_AMOUNT.fullmatch(value):
        return Decimal(value)
    if not value:
        if required:
            raise RowError(f"{column} is required")
        return None
    text = value.replace(",", ".") if "," in value and "." not in value else value
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RowError(f"{column} must be an amount such as 19.99, not {value!r}") from None
    if not amount.is_finite():
        raise RowError(f"{column} must be an amount such as 19.99, not {value!r}")
    if amount < 0 and not negative:
        raise RowError(f"{column} must not be negative ({value})")
    if abs(amount) >= _MAX_MONEY:
        raise RowError(f"{column} {value} is too large")
    if amount != amount.quantize(_CENT):
        raise RowError(f"{column} {value} has more than two decimals")
    return amount.quantize(_CENT)


def parse_strings(column: str, value: str) -> list[str]:
    try:
        items = parse_list(value)
    except ValueError as exc:
        raise RowError(f"{column}: {exc}") from None
    for item in items:
        if len(item) > MAX_LIST_ITEM_LENGTH:
            raise RowError(
                f"{column} has an item {len(item)} characters long; "
                f"the limit is {MAX_LIST_ITEM_LENGTH}"
            )
    return items


def parse_datetime(column: str, value: str, *, required: bool = False) -> datetime.datetime | None:
    """ISO 8601; a date alone is midnight, a time without an offset is in TIME_ZONE."""
    value = value.strip()
    if not value:
        if required:
            raise RowError(f"{column} is required")
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise RowError(
            f"{column} {value!r} is not an ISO 8601 date, e.g. 2026-11-23T14:10:00Z"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def parse_date(column: str, value: str) -> datetime.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RowError(f"{column} {value!r} is not a date such as 1991-06-14") from None


def parse_bool(column: str, value: str) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(f"{column} must be true or false (1/0, yes/no), not {value.strip()!r}")


def parse_phone(value: str, country: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, country or None)
    except phonenumbers.NumberParseException:
        raise RowError(
            f"phone_number {value!r} is not a phone number; use the +country form "
            "(or give the customer's country)"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise RowError(f"phone_number {value!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
