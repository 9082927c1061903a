"""Field validators for the platforms' documented limits."""

from django.core.exceptions import ValidationError

MAX_LIST_ITEM_LENGTH = 750  # CitrusAd: a tag, filter or group string is at most 750 characters


def validate_string_list(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Must be a list of strings.")
    for item in value:
        if not isinstance(item, str):
            raise ValidationError(f"Every item must be a string, not {type(item).__name__}.")
        if not item:
            raise ValidationError("Items must not be empty.")
        if len(item) > MAX_LIST_ITEM_LENGTH:
            raise ValidationError(
                f"An item is {len(item)} characters long; the limit is {MAX_LIST_ITEM_LENGTH}."
            )


def validate_string_dict(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Must be an object of string keys.")
    for key in value:
        if not isinstance(key, str) or not key:
            raise ValidationError("Keys must be non-empty strings.")


def validate_company_fields(value) -> None:
    """Custobar company-specific fields are named `COMPANY__field`."""
    validate_string_dict(value)
    for key in value:
        prefix, sep, field = key.partition("__")
        if not sep or not prefix or not field:
            raise ValidationError(f"{key!r} is not a company field; use the form COMPANY__field.")
