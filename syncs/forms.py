"""Forms parse every query string and POST body: a bad value becomes a message, never a 500."""

import datetime
import re

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils import timezone

from syncs.destinations import destination_choices
from syncs.feeds.sources import OPTION_FIELDS, SCHEMES, SECRET_FIELDS
from syncs.models import (
    Catalog,
    ImportEncoding,
    ImportKind,
    SyncKind,
)
from syncs.models.webhook import WEBHOOK_KINDS
from syncs.services.feeds import FeedSettings

ANY = [("", "Any")]
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


def day_range(since: datetime.date | None, until: datetime.date | None) -> dict:
    """From the start of `since` to the end of `until` (inclusive), in the console's time zone."""

    def at_midnight(day: datetime.date | None) -> datetime.datetime | None:
        if day is None:
            return None
        return datetime.datetime.combine(
            day, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )

    return {
        "since": at_midnight(since),
        "until": at_midnight(until + datetime.timedelta(days=1)) if until else None,
    }


def keyset_field() -> forms.IntegerField:
    return forms.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, widget=forms.HiddenInput
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, error_messages={"required": "Tick the box to confirm."}
    )


class RetryAllForm(forms.Form):
    """The count the "Retry all failed" page showed, and so the count confirmed."""

    expected = forms.IntegerField(min_value=1, max_value=MAX_ID)


class RevertForm(ConfirmForm):
    delete_remote = forms.BooleanField(required=False)


class RetryForm(forms.Form):
    destination = forms.ChoiceField(choices=destination_choices)
    kind = forms.ChoiceField(choices=SyncKind.choices)
    object_id = forms.IntegerField(min_value=1, max_value=MAX_ID)


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


def source_field_schemes() -> dict[str, tuple[str, ...]]:
    """FeedForm's source settings -> the kinds of source (URL schemes) that take each one, from
    the sources' own lists; the credential fields go with every source that takes credentials."""
    schemes: dict[str, list[str]] = {}
    for scheme in SCHEMES:
        names = (*SECRET_FIELDS[scheme], *OPTION_FIELDS[scheme])
        if SECRET_FIELDS[scheme]:
            names += ("credentials_env", "clear_credentials")
        for name in names:
            schemes.setdefault(name, []).append(scheme)
    return {name: tuple(found) for name, found in schemes.items()}


class FeedForm(forms.Form):
    """A feed as an admin types it; syncs.services.feeds checks it (the command shares that)."""

    name = forms.SlugField(max_length=60, help_text="Lower-case letters, digits, - and _.")
    kind = forms.ChoiceField(choices=ImportKind.choices)
    url = forms.CharField(
        label="URL or path",
        max_length=1000,
        # console.js shows only the settings of the kind of source this names.
        widget=forms.TextInput(attrs={"data-source-url": ""}),
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
    username = forms.CharField(required=False, max_length=200, help_text="Basic auth.")
    endpoint_url = forms.CharField(
        label="Endpoint URL",
        required=False,
        max_length=500,
        help_text="S3-compatible stores (MinIO, Ceph, R2…) or a GCS emulator.",
    )
    region = forms.CharField(required=False, max_length=50)
    project = forms.CharField(required=False, max_length=100)
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
        label="Token (a bearer token, or a service account's JSON for gs)",
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
        for name, schemes in source_field_schemes().items():
            # The page names them ("For sftp sources"); console.js hides those of other sources.
            self.fields[name].schemes = schemes

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

    def feed_settings(self) -> FeedSettings:
        data = self.cleaned_data
        secrets = {name: data[name] for name in self.SECRETS if data.get(name)}
        # Empty secret fields keep what is stored; "remove" clears it.
        credentials = {} if data.get("clear_credentials") else secrets or None
        return FeedSettings(
            kind=data["kind"],
            url=data["url"],
            every=data["every"].strip(),
            cron=data["cron"].strip(),
            catalog=data["catalog"],
            skip_invalid=data["skip_invalid"],
            encoding=data["encoding"] or "",
            expect_new_file_hours=data["expect_new_file_hours"],
            credentials=credentials,
            credentials_env=data["credentials_env"],
            options={name: data[name] for name in self.OPTIONS if data.get(name)},
        )


class FeedRunFilterForm(forms.Form):
    before = keyset_field()


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
