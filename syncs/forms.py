"""Forms parse every query string and POST body: a bad value becomes a message, never a 500."""

import datetime
import re

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils import timezone

from syncs.destinations import destination_choices
from syncs.models import (
    BatchOutcome,
    Catalog,
    ImportEncoding,
    ImportKind,
    SyncKind,
)
from syncs.models.webhook import WEBHOOK_KINDS
from syncs.selectors.audit import AUDIT_SORTS
from syncs.selectors.customers import CUSTOMER_SORTS
from syncs.selectors.imports import IMPORT_SORTS
from syncs.selectors.orders import ORDER_SORTS
from syncs.selectors.pagination import Paging
from syncs.selectors.products import PRODUCT_SORTS
from syncs.selectors.sync_batches import BATCH_SORTS

_ANY = [("", "Any")]
MAX_ID = 2**63 - 1  # PostgreSQL bigint: a larger id would be a database error, not a message
# ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
_ROW_ID = re.compile(r"[0-9]{1,18}")


def parse_row_id(value: object) -> int | None:
    """A database id from a query string or form value, or None when it is not one."""
    text = str(value)
    return int(text) if _ROW_ID.fullmatch(text) and int(text) > 0 else None


class DayField(forms.DateField):
    """A calendar day that a day can be added to and every time zone can hold."""

    widget = forms.DateInput(attrs={"type": "date"})
    earliest, latest = datetime.date(1900, 1, 1), datetime.date(9998, 12, 31)

    def validate(self, value):
        super().validate(value)
        if value and not self.earliest <= value <= self.latest:
            raise forms.ValidationError("Choose a date between the years 1900 and 9998.")


def _keyset_field() -> forms.IntegerField:
    return forms.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, widget=forms.HiddenInput
    )


class ListForm(forms.Form):
    """What every list takes besides its search: the order, and which page of it.

    `SORTS` are the orders a list offers (indexed columns only: "-" for descending); the
    first is its default. `CURSOR` names the list's "next page" parameter (a row id).
    """

    SORTS: tuple[str, ...] = ("id",)
    CURSOR = "after"
    sort = forms.ChoiceField(required=False, choices=(), widget=forms.HiddenInput)
    back = _keyset_field()
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


class BatchFilterForm(ListForm):
    SORTS = BATCH_SORTS
    CURSOR = "before"

    destination = forms.ChoiceField(choices=lambda: _ANY + destination_choices(), required=False)
    kind = forms.ChoiceField(choices=_ANY + SyncKind.choices, required=False)
    outcome = forms.ChoiceField(choices=_ANY + BatchOutcome.choices, required=False)
    since = DayField(label="From", required=False)
    until = DayField(label="To (inclusive)", required=False)
    key = forms.CharField(
        label="Carried GTIN / customer id / order id", max_length=100, required=False
    )
    before = _keyset_field()

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        tz = timezone.get_current_timezone()

        def at_midnight(day: datetime.date | None) -> datetime.datetime | None:
            if day is None:
                return None
            return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)

        until = data.get("until")
        return {
            "destination": data.get("destination") or "",
            "kind": data.get("kind") or "",
            "outcome": data.get("outcome") or "",
            "since": at_midnight(data.get("since")),
            "until": at_midnight(until + datetime.timedelta(days=1)) if until else None,
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
    after = _keyset_field()

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


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, error_messages={"required": "Tick the box to confirm."}
    )


class RevertForm(ConfirmForm):
    delete_remote = forms.BooleanField(required=False)


class RetryForm(forms.Form):
    destination = forms.ChoiceField(choices=destination_choices)
    kind = forms.ChoiceField(choices=SyncKind.choices)
    object_id = forms.IntegerField(min_value=1, max_value=MAX_ID)


class SearchForm(ListForm):
    q = forms.CharField(
        label="Search",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )
    after = _keyset_field()


class CustomerSearchForm(SearchForm):
    SORTS = CUSTOMER_SORTS


class OrderSearchForm(SearchForm):
    SORTS = ORDER_SORTS


class PageForm(ListForm):
    after = _keyset_field()


class ImportListForm(ListForm):
    SORTS = IMPORT_SORTS
    CURSOR = "before"
    before = _keyset_field()


class AuditFilterForm(ListForm):
    SORTS = AUDIT_SORTS
    CURSOR = "before"

    actor = forms.CharField(label="User", max_length=150, required=False)
    action = forms.CharField(max_length=50, required=False)
    object_kind = forms.CharField(label="Object kind", max_length=30, required=False)
    object_id = forms.CharField(label="Object id", max_length=100, required=False)
    before = _keyset_field()


class CatalogRegisterForm(forms.Form):
    name = forms.CharField(max_length=200)
    citrusad_id = forms.CharField(label="CitrusAd catalog id", max_length=64)
    team_id = forms.CharField(label="CitrusAd team id", max_length=64, required=False)


class CatalogCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    team_id = forms.CharField(label="CitrusAd team id", max_length=64, required=False)


class CatalogResolveForm(forms.Form):
    citrusad_id = forms.CharField(label="CitrusAd catalog id", max_length=64, required=False)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices)
    file = forms.FileField(
        label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )
    catalog = forms.ModelChoiceField(
        queryset=Catalog.objects.order_by("name"),
        required=False,
        empty_label="From each row's catalogId",
        help_text="Products only: the catalog for rows without a catalogId column.",
    )
    encoding = forms.ChoiceField(choices=ImportEncoding.choices, required=False)
    dry_run = forms.BooleanField(
        label="Dry run: check everything, write nothing", required=False, initial=True
    )
    skip_invalid = forms.BooleanField(label="Skip invalid rows and import the rest", required=False)
    confirm_large_change = forms.BooleanField(
        label="I mean it: allow a large stock-out or change (the safeguard)", required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("catalog") and data.get("kind") != ImportKind.PRODUCTS:
            self.add_error("catalog", "A catalog can be chosen for product imports only.")
        return data


class FeedForm(forms.Form):
    """A feed as an admin types it; syncs.services.feeds checks it (the command shares that)."""

    name = forms.SlugField(max_length=60, help_text="Lower-case letters, digits, - and _.")
    kind = forms.ChoiceField(choices=ImportKind.choices)
    url = forms.CharField(
        label="URL or path",
        max_length=1000,
        help_text="sftp://user@host/path/file.csv, https://…, s3://bucket/key, gs://bucket/key, "
        "a path under FEED_LOCAL_ROOT, or http://127.0.0.1:… for a file served on this machine.",
    )
    every = forms.CharField(
        required=False, max_length=20, help_text="An interval: 15m, 6h, 1d (or a cron below)."
    )
    cron = forms.CharField(
        required=False, max_length=100, help_text='Or a cron expression, e.g. "0 3 * * *".'
    )
    catalog = forms.ModelChoiceField(
        queryset=Catalog.objects.all(),
        required=False,
        help_text="Products: the catalog of rows without a catalogId.",
    )
    skip_invalid = forms.BooleanField(label="Skip invalid rows", required=False)
    encoding = forms.ChoiceField(choices=ImportEncoding.choices, required=False)
    expect_new_file_hours = forms.IntegerField(
        label="Expect a new file at least every … hours",
        required=False,
        min_value=1,
        max_value=24 * 366,
        help_text="Leave empty for no alert when files stop coming.",
    )
    username = forms.CharField(required=False, max_length=200, help_text="http(s) Basic auth.")
    endpoint_url = forms.CharField(
        label="Endpoint URL",
        required=False,
        max_length=500,
        help_text="S3-compatible stores (MinIO, Ceph, R2…) or a GCS emulator.",
    )
    region = forms.CharField(required=False, max_length=50, help_text="s3.")
    project = forms.CharField(required=False, max_length=100, help_text="gs.")
    host_key = forms.CharField(
        label="SFTP host key",
        required=False,
        max_length=2000,
        help_text="e.g. ssh-ed25519 AAAA…; empty: the key seen on the first run is kept.",
    )
    password = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), max_length=500
    )
    private_key = forms.CharField(
        label="Private key (PEM / OpenSSH)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        max_length=20000,
    )
    passphrase = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), max_length=500
    )
    token = forms.CharField(
        label="Token (http bearer, or gs service account JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        max_length=20000,
    )
    key = forms.CharField(
        label="Access key id", required=False, widget=forms.PasswordInput(render_value=False)
    )
    secret = forms.CharField(
        label="Secret access key",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        max_length=500,
    )
    credentials_env = forms.CharField(
        label="Credentials from environment variables",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One FIELD=VARIABLE a line, e.g. password=SFTP_PASSWORD.",
    )
    clear_credentials = forms.BooleanField(label="Remove the stored credentials", required=False)

    SECRETS = ("password", "private_key", "passphrase", "token", "key", "secret")
    OPTIONS = ("username", "endpoint_url", "region", "project", "host_key")

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["name"]
            for name in self.SECRETS:
                self.fields[name].help_text = "Leave empty to keep the stored one."

    def clean_credentials_env(self) -> dict[str, str]:
        pairs = {}
        for line in self.cleaned_data["credentials_env"].splitlines():
            if not line.strip():
                continue
            field, sep, variable = line.partition("=")
            if not sep:
                raise forms.ValidationError(f"Write FIELD=VARIABLE, not {line.strip()!r}.")
            pairs[field.strip()] = variable.strip()
        return pairs

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        secrets = {name: data[name] for name in self.SECRETS if data.get(name)}
        # Empty secret fields keep what is stored; "remove" clears it.
        credentials = {} if data.get("clear_credentials") else secrets or None
        return {
            "kind": data["kind"],
            "url": data["url"],
            "every": data["every"].strip(),
            "cron": data["cron"].strip(),
            "catalog": data["catalog"],
            "skip_invalid": data["skip_invalid"],
            "encoding": data["encoding"] or "",
            "expect_new_file_hours": data["expect_new_file_hours"],
            "credentials": credentials,
            "credentials_env": data["credentials_env"],
            "options": {name: data[name] for name in self.OPTIONS if data.get(name)},
        }


class FeedRunFilterForm(forms.Form):
    before = _keyset_field()


class UserCreateForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=())
    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role, role) for role in roles]
        # The same rule as Django's own user forms: letters, digits and @/./+/-/_ only.
        self.fields["username"].validators.append(UnicodeUsernameValidator())


class UserRoleForm(forms.Form):
    role = forms.ChoiceField(choices=())

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role, role) for role in roles]


class UserPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class SwitchForm(forms.Form):
    """A target state for a yes/no setting: "on" or empty (the toggle rule: never a flip)."""

    value = forms.BooleanField(required=False)


class AddressForm(forms.Form):
    address = forms.GenericIPAddressField()


class SecondFactorCodeForm(forms.Form):
    code = forms.RegexField(
        label="Code from your authenticator app",
        regex=r"^\s*[0-9]{6}\s*$",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who receives it, e.g. “Shop stock”.")
    url = forms.CharField(
        label="URL",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://shop.example.com/hooks/citrusadmin"}),
    )
    kinds = forms.MultipleChoiceField(
        label="Receives",
        choices=[(kind, SyncKind(kind).label) for kind in WEBHOOK_KINDS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one kind of change."},
    )
    enabled = forms.BooleanField(label="On", required=False, initial=True)
