"""The forms of the lists (their search, order and page) and of stock changes, one or many.

Shared field helpers (row ids, days) are in syncs/forms.py.
"""

from django import forms

from syncs.destinations import destination_choices
from syncs.forms import ANY, MAX_ID, DayField, day_range, keyset_field, parse_row_id
from syncs.models import BatchOutcome, Catalog, SyncKind
from syncs.selectors.audit import AUDIT_SORTS
from syncs.selectors.customers import CUSTOMER_SORTS
from syncs.selectors.imports import IMPORT_SORTS
from syncs.selectors.orders import ORDER_SORTS
from syncs.selectors.pagination import Paging
from syncs.selectors.products import PRODUCT_SORTS
from syncs.selectors.sync_batches import BATCH_SORTS


class ListForm(forms.Form):
    """What every list takes besides its search: the order, and which page of it.

    `SORTS` are the orders a list offers (indexed columns only: "-" for descending); the
    first is its default. `CURSOR` names the list's "next page" parameter (a row id).
    """

    SORTS: tuple[str, ...] = ("id",)
    CURSOR = "after"
    sort = forms.ChoiceField(required=False, choices=(), widget=forms.HiddenInput)
    back = keyset_field()
    page = forms.IntegerField(
        min_value=1, max_value=10**6, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = [("", "")] + [(sort, sort) for sort in self.SORTS]

    def paging(self) -> Paging:
        data = self.cleaned_data if self.is_valid() else {}
        return Paging(
            sort=data.get("sort") or "",
            after=data.get(self.CURSOR),
            back=data.get("back"),
            number=data.get("page") or 1,
        )


class DayRangeForm(ListForm):
    """A list filtered to the days from `since` to `until`, both included."""

    since = DayField(label="From", required=False)
    until = DayField(label="To (inclusive)", required=False)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data


class BatchFilterForm(DayRangeForm):
    field_order = ("destination", "kind", "outcome", "since", "until", "key")
    SORTS = BATCH_SORTS
    CURSOR = "before"

    destination = forms.ChoiceField(choices=lambda: ANY + destination_choices(), required=False)
    kind = forms.ChoiceField(choices=ANY + SyncKind.choices, required=False)
    outcome = forms.ChoiceField(choices=ANY + BatchOutcome.choices, required=False)
    key = forms.CharField(
        label="Carried GTIN / customer id / order id", max_length=100, required=False
    )
    before = keyset_field()

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "destination": data.get("destination") or "",
            "kind": data.get("kind") or "",
            "outcome": data.get("outcome") or "",
            **day_range(data.get("since"), data.get("until")),
            "key": (data.get("key") or "").strip(),
        }


STOCK_CHOICES = [("", "Any"), ("in", "In stock"), ("out", "Stocked out")]
SYNC_CHOICES = [
    ("", "Any"),
    ("pending", "Pending"),
    ("confirmed", "Confirmed"),
    ("failed", "Failed"),
    ("unknown", "Outcome unknown"),
]


class ProductSearchForm(ListForm):
    SORTS = PRODUCT_SORTS
    SORT_LABELS = {
        "id": "Oldest first",
        "-id": "Newest first",
        "gtin": "GTIN, 0→9",
        "-gtin": "GTIN, 9→0",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].widget = forms.Select()
        self.fields["sort"].choices = [("", "Oldest first")] + [
            (sort, self.SORT_LABELS[sort]) for sort in self.SORTS[1:]
        ]

    q = forms.CharField(
        label="GTIN or name",
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autofocus": True,
                "autocomplete": "off",
                "placeholder": "Scan or type a GTIN, a GTIN prefix or words of the name",
            }
        ),
    )
    catalog = forms.ModelChoiceField(
        queryset=Catalog.objects.order_by("name"), required=False, empty_label="Any"
    )
    stock = forms.ChoiceField(choices=STOCK_CHOICES, required=False)
    sync = forms.ChoiceField(label="Sync state", choices=SYNC_CHOICES, required=False)
    after = keyset_field()

    def search_kwargs(self) -> dict:
        """The search as the product services and selectors take it."""
        data = self.cleaned_data
        catalog = data.get("catalog")
        return {
            "q": (data.get("q") or "").strip(),
            "catalog_id": catalog.pk if catalog else None,
            "stock": data.get("stock") or "",
            "sync": data.get("sync") or "",
        }


SCOPES = {"selected": "The selected products", "search": "All matching this search"}


class StockForm(forms.Form):
    state = forms.ChoiceField(choices=[("out", "Stocked out"), ("in", "In stock")])


class BulkStockForm(ProductSearchForm):
    # The list's four buttons each send one value ("out:selected", "in:search", …); the
    # confirmation page sends state and scope as they are.
    bulk = forms.ChoiceField(
        required=False,
        choices=[(f"{state}:{scope}", "") for state in ("out", "in") for scope in SCOPES],
    )
    state = forms.ChoiceField(choices=[("out", "Stocked out"), ("in", "In stock")], required=False)
    scope = forms.ChoiceField(choices=list(SCOPES.items()), required=False)
    product_ids = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    confirm = forms.BooleanField(required=False)
    typed_count = forms.IntegerField(
        label="Number of products", min_value=0, max_value=MAX_ID, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is acceptable here; the service reads only the rows that exist.
        self.fields["product_ids"].valid_value = lambda value: parse_row_id(value) is not None

    def clean(self):
        data = super().clean()
        if data.get("bulk"):
            data["state"], data["scope"] = data["bulk"].split(":")
        if not data.get("state") or not data.get("scope"):
            raise forms.ValidationError(
                "Choose stock out or restore, for the selection or the search."
            )
        if data.get("scope") == "selected" and not data.get("product_ids"):
            raise forms.ValidationError("Select at least one product first.")
        return data

    def chosen(self) -> dict:
        """The products meant, as the bulk selector and service take them."""
        if self.cleaned_data["scope"] == "selected":
            return {"product_ids": sorted(set(self.cleaned_data["product_ids"]))}
        return {"search": self.search_kwargs()}


class SearchForm(ListForm):
    q = forms.CharField(
        label="Search",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )
    after = keyset_field()


class CustomerSearchForm(SearchForm):
    SORTS = CUSTOMER_SORTS


class OrderSearchForm(SearchForm):
    SORTS = ORDER_SORTS


class PageForm(ListForm):
    after = keyset_field()


class ImportListForm(ListForm):
    SORTS = IMPORT_SORTS
    CURSOR = "before"
    before = keyset_field()


class AuditFilterForm(DayRangeForm):
    field_order = ("actor", "action", "object_kind", "object_text", "since", "until")
    SORTS = AUDIT_SORTS
    CURSOR = "before"
    actor = forms.CharField(label="User (part of the name)", max_length=150, required=False)
    action = forms.CharField(label="Action (part of it)", max_length=50, required=False)
    object_kind = forms.ChoiceField(
        label="Object kind",
        required=False,
        choices=ANY
        + [
            *SyncKind.choices,
            ("bulk", "Bulk actions"),
            ("import", "Imports"),
            ("destination", "Destinations"),
            ("sync", "Sync"),
            ("user", "Users"),
        ],
    )
    object_text = forms.CharField(
        label="Object (part of it, or its id)", max_length=100, required=False
    )
    before = keyset_field()

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "actor": data["actor"].strip(),
            "action": data["action"].strip(),
            "object_kind": data["object_kind"],
            "object_text": data["object_text"].strip(),
            **day_range(data.get("since"), data.get("until")),
        }


class ActivityForm(ListForm):
    SORTS = AUDIT_SORTS
    CURSOR = "before"
    before = keyset_field()
