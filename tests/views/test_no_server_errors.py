"""Odd values in every parameter of every page, for every role: the answer is never a 5xx.

Pages and parameters are discovered (tests/views/page_discovery.py), so a new page is covered
without touching this file. Two parts per page and role:

- a sweep: each parameter alone takes each of a few values known to break parsers (a date at the
  end of the calendar, "²", a 20-digit number, NUL...), by every method the view answers; for the
  least role that reaches the view and for admins;
- hypothesis: random mixes of huge dates, non-ASCII digits, negative and 20-digit numbers, empty
  and repeated parameters, text and file bodies, GET or POST, with or without htmx, for every role.

POSTs are sent without the CSRF check so that the view itself is reached.
"""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncs.models import BatchOutcome, ImportJob
from tests.factories import UserFactory
from tests.views.conftest import make_batch
from tests.views.page_discovery import console_pages, html_parameters, project_forms

pytestmark = pytest.mark.django_db

PAGES = console_pages()
ROLES = ["anonymous", "merchandiser", "support", "admin"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ALL_FIELDS = sorted({name for form in project_forms() for name in form.base_fields})

SWEEP = ["9999-12-31", "0001-01-01", "²", "١٢", "-1", "99999999999999999999", "", "\x00"]
ODD_VALUES = SWEEP + [
    "99999-01-01",
    "2026-02-30",
    "9999-12-31T23:59:59+14:00",
    "１２",
    "-99999999999999999999",
    "18446744073709551616",
    "1e309",
    "NaN",
    " ",
    "<b>x</b>'\"",
    "x" * 3000,
]
odd_value = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(lambda day: day.isoformat()),
    st.text(max_size=30),
)


@pytest.fixture
def rows(product, customer, order, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path  # an upload the fuzz sends is stored here, not in var/
    upload = tmp_path / "upload.csv"
    upload.write_text("catalogId,gtin,inventory\n")
    make_batch(keys=[product.gtin], outcome=BatchOutcome.REJECTED, request_body={"x": 1})
    make_batch(keys=[customer.external_id], kind="customer", destination="custobar")
    ImportJob.objects.create(kind="products", file_path=str(upload), original_name="upload.csv")
    return {role: UserFactory(role=role) for role in ROLES[1:]}


def _existing_id(page) -> int:
    model = page.model
    first = model.objects.order_by("pk").values_list("pk", flat=True).first() if model else None
    return first or 1


def _canonical_path(page) -> str:
    values = {
        name: str(_existing_id(page)) if converter in ("id", "int") else "citrusad"
        for converter, name in page.parameters
    }
    return page.path(values)


def _drawn_path(page, draw) -> str:
    values = {}
    for converter, name in page.parameters:
        if converter in ("id", "int"):
            values[name] = str(draw(st.sampled_from([_existing_id(page), 999_999_999])))
        else:
            values[name] = draw(st.sampled_from(["citrusad", "custobar", "nowhere", "%C2%B2"]))
    return page.path(values)


class Visitor:
    """One role's client; logs in again when a page (logout) ended the session."""

    def __init__(self, user):
        self.user = user
        self.client = Client(raise_request_exception=True)
        self.log_in()

    def log_in(self):
        if self.user:
            self.client.force_login(self.user)

    def send(self, method, path, params, *, htmx=False, files=()):
        params = dict(params)
        if method == "post":
            for field, body in files:
                params[field] = [SimpleUploadedFile("odd.csv", body, "text/csv")]
        headers = {"HX-Request": "true"} if htmx else {}
        response = getattr(self.client, method)(path, params, headers=headers)
        healthz_down = path == "/healthz" and response.status_code == 503
        assert response.status_code < 500 or healthz_down, (method, path, params)
        if response.status_code == 302 and response["Location"].startswith("/login/"):
            self.log_in()
        return response


def _least_role_reaching(page, rows) -> str | None:
    for role in ROLES[1:]:
        client = Client()
        client.force_login(rows[role])
        if client.get(_canonical_path(page)).status_code in (200, 405):
            return role
    return None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_odd_values_never_give_a_server_error(page, role, rows):
    visitor = Visitor(rows.get(role))
    path = _canonical_path(page)
    first = visitor.send("get", path, {})
    own = set(page.form_fields)
    if first.status_code == 200 and first["Content-Type"].startswith("text/html"):
        own |= html_parameters(first.content.decode(errors="replace"))
    own_names = sorted(own) or ALL_FIELDS

    if first.status_code in (200, 405) and role in ("admin", _least_role_reaching(page, rows)):
        methods = ["get"] if first.status_code == 200 else []
        if visitor.send("post", path, {}).status_code != 405:
            methods.append("post")
        for name in own_names:
            for value in SWEEP:
                for method in methods:
                    files = [(f, value.encode()) for f in page.file_fields if f != name]
                    visitor.send(method, path, {name: [value]}, files=files)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def explore(data):
        name = st.one_of(st.sampled_from(own_names), st.sampled_from(ALL_FIELDS))
        params = data.draw(
            st.dictionaries(name, st.lists(odd_value, min_size=1, max_size=3), max_size=6)
        )
        files = [(field, data.draw(st.binary(max_size=200))) for field in page.file_fields]
        visitor.send(
            data.draw(st.sampled_from(["get", "post"])),
            _drawn_path(page, data.draw),
            params,
            htmx=data.draw(st.booleans()),
            files=files,
        )

    explore()
