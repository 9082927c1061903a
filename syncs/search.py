"""How typed and scanned text is matched: folded names and the forms of a scanned barcode."""

import unicodedata

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
