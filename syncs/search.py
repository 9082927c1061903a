"""How typed and scanned text is matched: folded names and the forms of a scanned barcode."""

import re
import unicodedata

import phonenumbers
from django.db.models import CharField, Func

# A numeric barcode is one number written at several lengths: a scanner reads EAN-13
# 4006381333931 where a file stores GTIN-14 04006381333931 (GS1 pads with leading zeros).
GTIN_FORMS = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13", 14: "GTIN-14"}


def gtin_scan_forms(code: str) -> list[str]:
    """Every GTIN form of a numeric code, with leading zeros added or removed; [] if not one."""
    if not code.isdigit() or not 8 <= len(code) <= 14:
        return []
    digits = code.lstrip("0")
    return [digits.zfill(length) for length in GTIN_FORMS if len(digits) <= length]


def gtin_form_name(code: str) -> str:
    return GTIN_FORMS.get(len(code), f"{len(code)} digits")


def fold(text: str) -> str:
    """Text without accents, in lower case: what PostgreSQL's unaccent and 'simple' give."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Unaccent(Func):
    """`citrusadmin_unaccent(text)`: the product_name_unaccent migration's (SQLite: `fold`)."""

    function = "citrusadmin_unaccent"
    output_field = CharField()


def sqlite_functions_register(*, sender, connection, **kwargs) -> None:
    """Give each SQLite connection the folding function PostgreSQL has from a migration."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            Unaccent.function,
            1,
            lambda text: None if text is None else fold(text),
            deterministic=True,
        )


_PHONE_CHARACTERS = re.compile(r"^[+(]?[\d\s().\-/]+$")


def phone_forms(text: str) -> dict[str, set[str]]:
    """The international numbers a typed phone number may be, with the countries it is so in.

    "+44 7700 922809" is one number, in any country (an empty set). "07700 922809" is written
    the national way: it is +447700922809 for a customer in GB and another number elsewhere,
    so each candidate carries the countries (ISO 3166 codes) whose numbering plan allows it.
    """
    text = text.strip()
    if not _PHONE_CHARACTERS.match(text) or not 6 <= sum(c.isdigit() for c in text) <= 17:
        return {}
    if text.startswith(("+", "00")):
        try:
            number = phonenumbers.parse("+" + text.lstrip("+").removeprefix("00"), None)
        except phonenumbers.NumberParseException:
            return {}
        return {phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164): set()}
    forms: dict[str, set[str]] = {}
    for region in phonenumbers.SUPPORTED_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        # Possible, not valid: test and fiction ranges (07700 900xxx) are real numbers to us.
        if phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            forms.setdefault(e164, set()).add(region)
    return forms


def order_id_without_prefix(order_id: str, typed: str) -> bool:
    """Whether `typed` is `order_id` without its prefix: "10023" of "ORD-10023", not of
    "ORD-110023" (a prefix ends where letters turn to digits, or at a separator)."""
    if not typed or not order_id.endswith(typed) or order_id == typed:
        return False
    before = order_id[-len(typed) - 1]
    return not before.isalnum() or before.isdigit() != typed[0].isdigit()
