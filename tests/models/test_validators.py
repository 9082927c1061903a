import pytest
from django.core.exceptions import ValidationError

from syncs.models.validators import validate_company_fields, validate_string_list


def test_list_items_up_to_750_characters_are_valid():
    validate_string_list(["a" * 750, "hfss:true"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["a" * 751], "751 characters"),
        ("not-a-list", "list of strings"),
        ([1], "must be a string"),
        ([""], "must not be empty"),
    ],
)
def test_bad_lists_are_refused_with_a_reason(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_string_list(value)


def test_company_fields_need_the_company_prefix():
    validate_company_fields({"ACME__loyalty_level": "gold"})
    with pytest.raises(ValidationError, match="COMPANY__field"):
        validate_company_fields({"loyalty_level": "gold"})
