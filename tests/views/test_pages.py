"""Every page: method, login, role, full and htmx renders, and bad query strings."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# (url name, needs an object, least role that may see it, a role that may not)
PAGES = [
    ("home", None, "merchandiser", None),
    ("batch_list", None, "merchandiser", None),
    ("batch_detail", "batch", "merchandiser", None),
    ("product_search", None, "merchandiser", None),
    ("product_detail", "product", "merchandiser", None),
    ("product_chip", "product", "merchandiser", None),
    ("product_bulk_detail", "bulk", "merchandiser", None),
    ("retry_all_failed", None, "support", "merchandiser"),
    ("my_activity", None, "merchandiser", None),
    ("audit_detail", "audit", "admin", "support"),
    ("customer_search", None, "support", "merchandiser"),
    ("customer_detail", "customer", "support", "merchandiser"),
    ("order_search", None, "support", "merchandiser"),
    ("order_detail", "order", "support", "merchandiser"),
    ("catalog_list", None, "admin", "support"),
    ("audit_list", None, "admin", "support"),
    ("import_list", None, "admin", "support"),
    ("user_list", None, "admin", "support"),
    ("user_detail", "user", "admin", "support"),
    ("second_factor_setup", None, "merchandiser", None),
]


@pytest.fixture
def objects(product, customer, order):
    from syncs.models import AuditEvent
    from syncs.services.bulk_stock import bulk_stock_start
    from tests.views.conftest import make_batch

    return {
        "product": product,
        "customer": customer,
        "order": order,
        "batch": make_batch(keys=[product.gtin]),
        "bulk": bulk_stock_start(
            state="out",
            actor=UserFactory(role="merchandiser"),
            product_ids=[product.pk],
            typed_count=1,
        ),
        "user": UserFactory(role="merchandiser"),
        "audit": AuditEvent.objects.create(action="x", object_kind="product", object_id="1"),
    }


def _url(name, needs, objects):
    return reverse(name, args=[objects[needs].pk]) if needs else reverse(name)


@pytest.mark.parametrize(("name", "needs", "role", "denied"), PAGES)
def test_anonymous_is_sent_to_login(client, objects, name, needs, role, denied):
    response = client.get(_url(name, needs, objects))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "needs", "role", "denied"), PAGES)
def test_page_renders_for_its_role_and_rejects_post(client, objects, name, needs, role, denied):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role=role))
    url = _url(name, needs, objects)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    if name != "product_chip":
        assert html.lstrip().startswith("<!doctype html>")
        assert "<main" in html
    assert client.put(url).status_code == 405


@pytest.mark.parametrize(("name", "needs", "role", "denied"), [p for p in PAGES if p[3]])
def test_wrong_role_gets_a_403_that_names_the_role(client, objects, name, needs, role, denied):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role=denied))
    response = client.get(_url(name, needs, objects))
    assert response.status_code == 403
    assert f"needs the {role} role" in response.content.decode()


@pytest.mark.parametrize(
    "name",
    ["home", "batch_list", "product_search", "customer_search", "order_search", "audit_list"],
)
def test_htmx_gets_only_the_fragment(client, admin_user, objects, name):
    client.force_login(admin_user)
    response = client.get(reverse(name), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<nav" not in html
    assert 'id="dashboard"' in html or 'id="results"' in html


def test_a_user_with_no_role_sees_403_not_500(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("product_search")).status_code == 403
    # The dashboard is for everyone who can log in.
    assert client.get(reverse("home")).status_code == 200


def test_missing_objects_are_404(client, admin_user):
    client.force_login(admin_user)
    for name in (
        "product_detail",
        "customer_detail",
        "order_detail",
        "batch_detail",
        "import_detail",
        "product_bulk_detail",
    ):
        assert client.get(reverse(name, args=[999999])).status_code == 404
        path = reverse(name, args=[1]).replace("/1/", "/99999999999999999999999/")
        assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("batch_list", "before=abc"),
        ("batch_list", "before=-4"),
        ("batch_list", "since=yesterday&until=2026-13-45"),
        ("batch_list", "since=2026-11-23&until=2026-11-01"),
        ("batch_list", "destination=nowhere&kind=%00&outcome=<script>"),
        ("batch_list", "key=" + "9" * 500),
        ("product_search", "catalog=999999&stock=maybe&sync=sideways"),
        ("product_search", "catalog=abc&after=xyz"),
        ("product_search", "q=" + "x" * 1000),
        ("product_search", "q=%00%ff"),
        ("customer_search", "after=NaN&q=" + "a" * 300),
        ("order_search", "after=1e99"),
        ("audit_list", "before=[]&actor=" + "b" * 400),
        ("batch_list", "before=99999999999999999999999"),
        ("product_search", "after=99999999999999999999999&catalog=99999999999999999999"),
    ],
)
def test_bad_query_strings_get_a_message_not_a_500(client, admin_user, objects, name, query):
    client.force_login(admin_user)
    response = client.get(f"{reverse(name)}?{query}")
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()


def test_pages_satisfy_the_content_security_policy(client, admin_user, objects):
    """No inline script or style anywhere, so `script-src 'self'; style-src 'self'` holds."""
    client.force_login(admin_user)
    urls = [_url(name, needs, objects) for name, needs, _role, _denied in PAGES]
    for url in urls:
        response = client.get(url)
        html = response.content.decode()
        assert "style=" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "hx-on" not in html and "javascript:" not in html, url
        if "Content-Security-Policy" in response:
            assert "script-src 'self'" in response["Content-Security-Policy"]


def test_nav_shows_only_what_the_role_may_open(client, merchandiser, support, admin_user):
    client.force_login(merchandiser)
    html = client.get(reverse("home")).content.decode()
    assert reverse("product_search") in html
    assert reverse("customer_search") not in html and reverse("audit_list") not in html
    client.force_login(support)
    html = client.get(reverse("home")).content.decode()
    assert reverse("customer_search") in html and reverse("catalog_list") not in html
    client.force_login(admin_user)
    html = client.get(reverse("home")).content.decode()
    assert reverse("catalog_list") in html and reverse("audit_list") in html


def test_the_dashboard_shows_each_destinations_pace_and_what_waits_for_it(
    client, merchandiser, sandbox, settings
):
    from syncs.destinations import destination_get
    from syncs.remotes.errors import TransientError
    from syncs.services.push.pacing import Pace, Ticket

    settings.CUSTOBAR_RATE_LIMIT = 180.0
    settings.CITRUSAD_RATE_LIMIT = None
    client.force_login(merchandiser)
    html = client.get(reverse("home")).content.decode()
    assert 'id="pace"' in html and "180/min" in html and "unlimited" in html
    Pace(destination_get("custobar")).answered(Ticket(0), TransientError("429", status_code=429))
    html = client.get(reverse("home"), headers={"HX-Request": "true"}).content.decode()
    assert "90/min" in html and "slowed" in html


@pytest.mark.parametrize("role", ["merchandiser", "support", "admin", "superuser"])
def test_the_django_admin_is_for_superusers_only(client, role):
    from django.contrib.auth import get_user_model

    if role == "superuser":
        user = get_user_model().objects.create_superuser("root", "", "a-long-passphrase-1")
    else:
        user = UserFactory(role=role, is_staff=True)
    client.force_login(user)
    response = client.get("/admin/auth/user/")
    if role == "superuser":
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_dashboard_leaves_the_pace_out_when_redis_cannot_be_read(
    client, merchandiser, sandbox, monkeypatch
):
    import redis

    from syncs.services.push.pacing import Pace

    def unreachable(self):
        raise redis.ConnectionError("Redis is away")

    monkeypatch.setattr(Pace, "status", unreachable)
    client.force_login(merchandiser)
    response = client.get(reverse("home"))
    assert response.status_code == 200 and 'id="pace"' not in response.content.decode()
