"""The sandbox over real HTTP: documented validation, answers, state, auth, faults, controls."""

import base64
import threading
import time
from email.utils import parsedate_to_datetime

import pytest
import requests

from syncs.sandbox import DEFAULT_API_KEY, DEFAULT_CUSTOBAR_TOKEN, DEFAULT_TEAM_ID

CITRUS = {"Authorization": f"Basic {DEFAULT_API_KEY}"}
CUSTOBAR = {"Authorization": f"Token {DEFAULT_CUSTOBAR_TOKEN}"}
PRODUCTS = f"/v1/catalog-products?teamId={DEFAULT_TEAM_ID}"


def product(gtin="23556578965543", **extra):
    return {"catalogId": "cat-1", "gtin": gtin, "inventory": 5, "price": "19.99", **extra}


def post(sandbox, path, body, headers=CITRUS):
    return requests.post(sandbox.url + path, json=body, headers=headers, timeout=5)


def test_product_upsert_answers_the_documented_shape_with_numbers(sandbox):
    response = post(sandbox, PRODUCTS, {"catalogProducts": [product(profit="1.50", tags=["a"])]})
    assert response.status_code == 200
    assert response.json() == {
        "catalogProducts": [
            {
                "teamId": DEFAULT_TEAM_ID,
                "catalogId": "cat-1",
                "gtin": "23556578965543",
                "inventory": 5,
                "price": 19.99,
                "tags": ["a"],
                "filters": [],
                "groups": [],
                "profit": 1.5,
            }
        ]
    }


def test_omitted_inventory_defaults_to_one_as_citrusad_does(sandbox):
    item = product()
    del item["inventory"]
    response = post(sandbox, PRODUCTS, {"catalogProducts": [item]})
    assert response.json()["catalogProducts"][0]["inventory"] == 1


def test_get_and_delete_follow_the_upserts(sandbox):
    post(sandbox, PRODUCTS, {"catalogProducts": [product(), product(sellerId="s-1", inventory=7)]})
    base = f"{sandbox.url}/v1/catalog-products/cat-1/23556578965543"
    assert requests.get(base, headers=CITRUS, timeout=5).json()["inventory"] == 5
    with_seller = requests.get(base, params={"sellerId": "s-1"}, headers=CITRUS, timeout=5)
    assert with_seller.json()["inventory"] == 7
    assert with_seller.json()["sellerId"] == "s-1"
    post(sandbox, PRODUCTS, {"catalogProducts": [product(inventory=0)]})
    assert requests.get(base, headers=CITRUS, timeout=5).json()["inventory"] == 0
    assert requests.delete(base, headers=CITRUS, timeout=5).status_code == 200
    missing = requests.get(base, headers=CITRUS, timeout=5)
    assert missing.status_code == 404
    assert missing.json()["message"] == "product not found"
    assert requests.delete(base, headers=CITRUS, timeout=5).status_code == 404
    assert sandbox.product("cat-1", "23556578965543", "s-1")["inventory"] == 7


def test_ingest_delay_keeps_a_new_product_not_found(sandbox):
    sandbox.configure(ingest_delay_ms=60_000)
    post(sandbox, PRODUCTS, {"catalogProducts": [product()]})
    url = f"{sandbox.url}/v1/catalog-products/cat-1/23556578965543"
    assert requests.get(url, headers=CITRUS, timeout=5).status_code == 404
    assert sandbox.product("cat-1", "23556578965543") is not None


@pytest.mark.parametrize(
    ("item", "field", "code"),
    [
        ({"gtin": "1"}, "catalogId", "REQUIRED"),
        ({"catalogId": "c"}, "gtin", "REQUIRED"),
        ({"catalogId": "c", "gtin": "9" * 51}, "gtin", "LENGTH"),
        ({"catalogId": "c", "gtin": "1", "sellerId": "s" * 51}, "sellerId", "LENGTH"),
        ({"catalogId": "c", "gtin": "1", "inventory": "5"}, "inventory", "TYPE"),
        ({"catalogId": "c", "gtin": "1", "inventory": -1}, "inventory", "TYPE"),
        ({"catalogId": "c", "gtin": "1", "price": "abc"}, "price", "FORMAT"),
        ({"catalogId": "c", "gtin": "1", "tags": ["x" * 751]}, "tags[0]", "LENGTH"),
        ({"catalogId": "c", "gtin": "1", "filters": "hfss:true"}, "filters", "TYPE"),
        ({"catalogId": "c", "gtin": "1", "Inventory": 1}, "Inventory", "UNKNOWN_FIELD"),
    ],
)
def test_product_validation_names_the_item_and_field(sandbox, item, field, code):
    response = post(sandbox, PRODUCTS, {"catalogProducts": [product("ok"), item]})
    assert response.status_code == 400
    body = response.json()
    assert body["additionalInfo"][0]["code"] == code
    assert body["additionalInfo"][0]["message"].startswith(f"catalogProducts[1].{field}")
    assert body["message"]
    assert sandbox.state()["catalogProducts"] == []  # nothing of a rejected batch is kept


def test_batches_are_limited_to_one_hundred_items(sandbox):
    ok = post(sandbox, PRODUCTS, {"catalogProducts": [product(str(i)) for i in range(100)]})
    assert ok.status_code == 200
    too_many = post(sandbox, PRODUCTS, {"catalogProducts": [product(str(i)) for i in range(101)]})
    assert too_many.status_code == 400
    assert too_many.json()["additionalInfo"][0]["code"] == "TOO_MANY_ITEMS"
    assert post(sandbox, PRODUCTS, {"catalogProducts": []}).status_code == 400
    assert post(sandbox, PRODUCTS, {"products": []}).status_code == 400


def test_malformed_json_is_a_clear_400(sandbox):
    response = requests.post(sandbox.url + PRODUCTS, data=b"{not json", headers=CITRUS, timeout=5)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


def test_citrusad_auth_and_team(sandbox):
    body = {"catalogProducts": [product()]}
    assert post(sandbox, PRODUCTS, body, headers={}).status_code == 401
    wrong = post(sandbox, PRODUCTS, body, headers={"Authorization": "Basic nope"})
    assert wrong.status_code == 401
    assert wrong.headers["Content-Type"].startswith("text/plain")
    assert post(sandbox, "/v1/catalog-products?teamId=other", body).status_code == 403
    assert post(sandbox, "/v1/catalog-products", body).status_code == 400
    sandbox.configure(api_keys={"second-key": "team-2"})
    assert post(sandbox, PRODUCTS, body).status_code == 401
    second = {"Authorization": "Basic second-key"}
    response = post(sandbox, "/v1/catalog-products?teamId=team-2", body, headers=second)
    assert response.json()["catalogProducts"][0]["teamId"] == "team-2"


def test_catalog_creation_is_not_idempotent(sandbox):
    first = post(sandbox, "/v1/catalogs", {"catalogs": [{"name": "Main"}]}).json()["catalogs"]
    second = post(sandbox, "/v1/catalogs", {"catalogs": [{"name": "Main"}]}).json()["catalogs"]
    assert first[0]["name"] == second[0]["name"] == "Main"
    assert first[0]["id"] != second[0]["id"]
    assert first[0]["teamId"] == DEFAULT_TEAM_ID
    assert len(sandbox.state()["catalogs"]) == 2
    assert post(sandbox, "/v1/catalogs", {"catalogs": [{"name": ""}]}).status_code == 400


def test_known_catalogs_can_be_required(sandbox):
    sandbox.configure(require_known_catalogs=True)
    created = post(sandbox, "/v1/catalogs", {"catalogs": [{"name": "Main"}]}).json()
    known = created["catalogs"][0]["id"]
    assert post(sandbox, PRODUCTS, {"catalogProducts": [product()]}).status_code == 400
    item = {**product(), "catalogId": known}
    assert post(sandbox, PRODUCTS, {"catalogProducts": [item]}).status_code == 200


def test_customers_get_generated_ids_and_documented_defaults(sandbox):
    response = post(
        sandbox,
        "/v1/customers",
        {"customers": [{"targetingData": {"tier": "gold"}}, {"id": "c-1"}]},
    )
    first, second = response.json()["customers"]
    assert first["id"] and first["targetingData"] == {"tier": "gold"}
    assert second == {
        "targetingData": {},
        "gender": "Other",
        "teamId": DEFAULT_TEAM_ID,
        "postcode": "",
        "suburb": "",
        "id": "c-1",
        "yearOfBirth": 0,
    }
    bad = post(sandbox, "/v1/customers", {"customers": [{"targetingData": ["x"]}]})
    assert bad.status_code == 400


def order(**extra):
    return {
        "orderDate": "2019-12-02T15:00:00Z",
        "orderItems": [
            {
                "gtin": "9891566P",
                "quantity": 3,
                "regularUnitPrice": "9.99",
                "totalOrderItemPriceAfterDiscounts": "6.99",
            }
        ],
        **extra,
    }


def test_orders_answer_numbers_and_generated_ids(sandbox):
    response = post(sandbox, "/v1/orders", {"orders": [order(), order(id="o-1", customerId="c")]})
    first, second = response.json()["orders"]
    assert first["id"] and second["id"] == "o-1"
    assert first["teamId"] == DEFAULT_TEAM_ID
    assert first["customerId"] == "" and second["customerId"] == "c"
    assert first["orderItems"][0]["regularUnitPrice"] == 9.99
    assert first["orderItems"][0]["citrusDiscountAmount"] is None
    assert first["orderItems"][0]["quantity"] == 3


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"orderDate": "02/12/2019"}, "orders[0].orderDate"),
        ({"orderDate": None}, "orders[0].orderDate"),
        ({"orderItems": []}, "orders[0].orderItems"),
        (
            {"orderItems": [{"gtin": "1", "quantity": 1}]},
            "orders[0].orderItems[0].regularUnitPrice",
        ),
        (
            {
                "orderItems": [
                    {
                        "gtin": "1",
                        "quantity": 1.5,
                        "regularUnitPrice": 1,
                        "totalOrderItemPriceAfterDiscounts": 1,
                    }
                ]
            },
            "orders[0].orderItems[0].quantity",
        ),
    ],
)
def test_order_validation(sandbox, change, expected):
    item = {**order(), **change}
    if item["orderDate"] is None:
        del item["orderDate"]
    response = post(sandbox, "/v1/orders", {"orders": [item]})
    assert response.status_code == 400
    assert response.json()["additionalInfo"][0]["message"].startswith(expected)


def test_reject_gtins_rejects_the_whole_batch_naming_the_item(sandbox):
    sandbox.configure(reject_gtins=["bad"])
    response = post(sandbox, PRODUCTS, {"catalogProducts": [product("good"), product("bad")]})
    assert response.status_code == 400
    info = response.json()["additionalInfo"]
    assert info == [
        {"code": "PRODUCT_REJECTED", "message": "catalogProducts[1]: gtin bad was rejected"}
    ]
    assert sandbox.state()["catalogProducts"] == []
    assert post(sandbox, PRODUCTS, {"catalogProducts": [product("good")]}).status_code == 200


# --- Custobar ---


def test_custobar_upload_merges_only_sent_keys(sandbox):
    first = {
        "external_id": "3619490226",
        "first_name": "James",
        "email": "james@example.org",
        "tags": ["kitchenware"],
        "mailing_lists": ["kitchenware", "news"],
        "COMPANY__customer_group": 1,
    }
    assert post(sandbox, "/api/customers/upload/", {"customers": [first]}, CUSTOBAR).json() == {
        "response": "ok"
    }
    update = {
        "external_id": "3619490226",
        "first_name": "",
        "last_name": "Carroll",
        "tags.add": ["vip"],
        "mailing_lists.remove": ["kitchenware"],
    }
    post(sandbox, "/api/customers/upload/", {"customers": [update]}, CUSTOBAR)
    assert sandbox.custobar_customer("james@example.org") == {
        "external_id": "3619490226",
        "email": "james@example.org",
        "last_name": "Carroll",
        "tags": ["kitchenware", "vip"],
        "mailing_lists": ["news"],
        "COMPANY__customer_group": 1,
    }


def test_custobar_deleted_and_forgotten_cannot_be_undone(sandbox):
    upload = "/api/customers/upload/"
    post(
        sandbox, upload, {"customers": [{"external_id": "A-1", "email": "a@example.org"}]}, CUSTOBAR
    )
    post(sandbox, upload, {"customers": [{"external_id": "A-1", "is_deleted": True}]}, CUSTOBAR)
    post(sandbox, upload, {"customers": [{"external_id": "A-1", "is_deleted": False}]}, CUSTOBAR)
    assert sandbox.custobar_customer("A-1")["is_deleted"] is True
    post(sandbox, upload, {"customers": [{"external_id": "A-1", "is_forgotten": True}]}, CUSTOBAR)
    assert sandbox.custobar_customer("A-1") == {
        "external_id": "A-1",
        "is_deleted": True,
        "is_forgotten": True,
    }


@pytest.mark.parametrize(
    ("customer", "field"),
    [
        ({"first_name": "No identifier"}, "customers[0]"),
        ({"external_id": "has space"}, "customers[0].external_id"),
        ({"phone_number": "0401234567"}, "customers[0].phone_number"),
        ({"email": "not-an-email"}, "customers[0].email"),
        ({"email": "a@example.org", "can_email": "yes"}, "customers[0].can_email"),
        ({"email": "a@example.org", "date_joined": "yesterday"}, "customers[0].date_joined"),
        (
            {"email": "a@example.org", "birth_date": "1991-06-14T00:00:00"},
            "customers[0].birth_date",
        ),
        ({"email": "a@example.org", "country": "Sweden"}, "customers[0].country"),
        ({"email": "a@example.org", "language": "english"}, "customers[0].language"),
        ({"email": "a@example.org", "favourite_colour": "red"}, "customers[0].favourite_colour"),
    ],
)
def test_custobar_validation(sandbox, customer, field):
    response = post(sandbox, "/api/customers/upload/", {"customers": [customer]}, CUSTOBAR)
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)


def test_custobar_auth_by_token_or_user_and_password(sandbox):
    body = {"customers": [{"email": "a@example.org"}]}
    assert post(sandbox, "/api/customers/upload/", body, {}).status_code == 401
    wrong = {"Authorization": "Token wrong"}
    assert post(sandbox, "/api/customers/upload/", body, wrong).status_code == 401
    sandbox.configure(custobar_username="api", custobar_password="s3cret")
    basic = {"Authorization": "Basic " + base64.b64encode(b"api:s3cret").decode()}
    assert post(sandbox, "/api/customers/upload/", body, basic).status_code == 200
    bad_basic = {"Authorization": "Basic " + base64.b64encode(b"api:other").decode()}
    assert post(sandbox, "/api/customers/upload/", body, bad_basic).status_code == 401


# --- faults ---


def test_429_with_retry_after_in_seconds_and_as_a_date(sandbox):
    sandbox.configure(throttle_next=1, retry_after=7)
    response = post(sandbox, PRODUCTS, {"catalogProducts": [product()]})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    sandbox.configure(throttle_next=1, retry_after=120, retry_after_form="http-date")
    response = post(sandbox, PRODUCTS, {"catalogProducts": [product()]})
    assert response.status_code == 429
    assert parsedate_to_datetime(response.headers["Retry-After"]).tzinfo is not None
    assert post(sandbox, PRODUCTS, {"catalogProducts": [product()]}).status_code == 200


def test_fail_rate_answers_plain_text_and_changes_nothing(sandbox):
    sandbox.configure(fail_rate=1.0)
    response = post(sandbox, PRODUCTS, {"catalogProducts": [product()]})
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "Internal Server Error"
    assert sandbox.state()["catalogProducts"] == []
    # Control endpoints are never faulted.
    assert requests.get(sandbox.url + "/_sandbox/health", timeout=5).status_code == 200


def test_fault_paths_limit_faults_to_some_endpoints(sandbox):
    sandbox.configure(fail_rate=1.0, fault_paths=["/api/"])
    assert post(sandbox, PRODUCTS, {"catalogProducts": [product()]}).status_code == 200
    custobar = post(
        sandbox, "/api/customers/upload/", {"customers": [{"email": "a@b.fi"}]}, CUSTOBAR
    )
    assert custobar.status_code == 500


def test_mismatch_next_drops_an_item_from_the_answer(sandbox):
    sandbox.configure(mismatch_next=1)
    response = post(sandbox, PRODUCTS, {"catalogProducts": [product("1"), product("2")]})
    assert [p["gtin"] for p in response.json()["catalogProducts"]] == ["1"]
    response = post(sandbox, PRODUCTS, {"catalogProducts": [product("1"), product("2")]})
    assert len(response.json()["catalogProducts"]) == 2


def test_seeded_fail_rate_is_reproducible(sandbox):
    def statuses():
        sandbox.reset()
        sandbox.configure(fail_rate=0.5, seed=42)
        return [
            post(sandbox, PRODUCTS, {"catalogProducts": [product()]}).status_code for _ in range(20)
        ]

    first = statuses()
    assert first == statuses()
    assert {200, 500} == set(first)


# --- control endpoints ---


def test_control_endpoints_over_http(sandbox):
    control = sandbox.url + "/_sandbox"
    changed = requests.post(control + "/config", json={"reject_gtins": ["x"]}, timeout=5)
    assert changed.json()["reject_gtins"] == ["x"]
    assert DEFAULT_API_KEY not in changed.text and DEFAULT_CUSTOBAR_TOKEN not in changed.text
    bad = requests.post(control + "/config", json={"fail_rate": 2}, timeout=5)
    assert bad.status_code == 400 and "fail_rate" in bad.json()["message"]
    unknown = requests.post(control + "/config", json={"nope": 1}, timeout=5)
    assert unknown.status_code == 400 and "nope" in unknown.json()["message"]

    post(sandbox, PRODUCTS, {"catalogProducts": [product("1")]})
    post(sandbox, "/v1/customers", {"customers": [{"id": "c"}]})
    recorded = requests.get(
        control + "/requests", params={"path_prefix": "/v1/catalog-products"}, timeout=5
    ).json()
    assert [r["status"] for r in recorded["requests"]] == [200]
    assert recorded["requests"][0]["json"]["catalogProducts"][0]["gtin"] == "1"
    assert recorded["requests"][0]["query"] == {"teamId": DEFAULT_TEAM_ID}
    since = requests.get(control + "/requests", params={"since": 1, "bodies": 0}, timeout=5)
    assert [r["path"] for r in since.json()["requests"]] == ["/v1/customers"]
    assert "json" not in since.json()["requests"][0]

    state = requests.get(control + "/state", timeout=5).json()
    assert [p["gtin"] for p in state["catalogProducts"]] == ["1"]
    stats = requests.get(control + "/stats", timeout=5).json()
    assert stats["endpoints"]["POST /v1/catalog-products"]["items"] == 1

    assert requests.post(control + "/reset", timeout=5).status_code == 200
    assert requests.get(control + "/requests", timeout=5).json()["requests"] == []
    assert requests.get(control + "/config", timeout=5).json()["reject_gtins"] == []
    assert requests.get(control + "/nothing", timeout=5).status_code == 404
    assert requests.get(control + "/requests?since=x", timeout=5).status_code == 400
    assert requests.get(control + "/requests?since=²", timeout=5).status_code == 400


def test_received_in_python(sandbox):
    post(sandbox, PRODUCTS, {"catalogProducts": [product("1")]})
    post(sandbox, PRODUCTS, {"catalogProducts": [product("2" * 60)]})
    recorded = sandbox.received(path_prefix="/v1/catalog-products")
    assert [r.status for r in recorded] == [200, 400]
    assert recorded[0].items[0]["gtin"] == "1"
    assert recorded[0]["json"] == recorded[0].json
    assert sandbox.received(path_prefix="/v1/catalog-products", method="GET") == []


def test_unknown_paths_and_methods(sandbox):
    assert requests.get(sandbox.url + "/v2/things", headers=CITRUS, timeout=5).status_code == 404
    assert requests.get(sandbox.url + "/v1/orders", headers=CITRUS, timeout=5).status_code == 405
    url = sandbox.url + "/api/customers/upload/"
    assert requests.get(url, headers=CUSTOBAR, timeout=5).status_code == 405


def test_keep_alive_connections_are_reused(sandbox):
    with requests.Session() as session:
        for _ in range(3):
            response = session.post(
                sandbox.url + PRODUCTS, json={"catalogProducts": [product()]}, headers=CITRUS
            )
            assert response.status_code == 200
        assert response.raw.version == 11
        assert response.headers.get("Connection", "keep-alive").lower() != "close"


def test_a_request_sleeping_through_a_reset_changes_nothing(sandbox):
    sandbox.configure(latency_ms=1000)
    answers = []

    def slow_push():
        body = {"catalogProducts": [product()]}
        answers.append(post(sandbox, PRODUCTS, body).status_code)

    thread = threading.Thread(target=slow_push)
    thread.start()
    deadline = time.monotonic() + 5
    while sandbox.app.in_flight == 0:  # until the request sleeps inside the sandbox
        assert time.monotonic() < deadline, "the request never reached the sandbox"
        time.sleep(0.01)
    sandbox.reset()
    thread.join(timeout=10)
    assert answers == [503]
    assert sandbox.received() == []
    assert sandbox.state()["catalogProducts"] == []


def test_a_per_account_limit_answers_429_with_retry_after_above_it(sandbox):
    sandbox.configure(custobar_rpm=60, rate_limit_burst=3)
    upload = "/api/customers/upload/"
    statuses = [
        post(sandbox, upload, {"customers": [{"external_id": f"c-{n}"}]}, CUSTOBAR).status_code
        for n in range(5)
    ]
    # A bucket of three: the first three go, the next ones are over the limit.
    assert statuses == [200, 200, 200, 429, 429]
    refused = post(sandbox, upload, {"customers": [{"external_id": "c-9"}]}, CUSTOBAR)
    assert refused.headers["Retry-After"] == "1" and "60 requests a minute" in refused.text
    # The limit is per account: CitrusAd (no limit configured) is not affected.
    assert post(sandbox, "/v1/customers", {"customers": [{"id": "c-1"}]}).status_code == 200


def test_each_citrusad_team_has_its_own_bucket(sandbox):
    sandbox.configure(
        citrusad_rpm=60,
        rate_limit_burst=1,
        api_keys={DEFAULT_API_KEY: DEFAULT_TEAM_ID, "other-key": "other-team"},
    )
    other = {"Authorization": "Basic other-key"}
    assert post(sandbox, "/v1/customers", {"customers": [{"id": "a"}]}).status_code == 200
    assert post(sandbox, "/v1/customers", {"customers": [{"id": "a"}]}).status_code == 429
    assert post(sandbox, "/v1/customers", {"customers": [{"id": "a"}]}, other).status_code == 200
    gone = requests.delete(
        f"{sandbox.url}/v1/catalog-products/cat-1/123", headers=CITRUS, timeout=5
    )
    assert gone.status_code == 429


def test_a_bad_rate_limit_setting_is_refused(sandbox):
    response = requests.post(f"{sandbox.url}/_sandbox/config", json={"custobar_rpm": -1}, timeout=5)
    assert response.status_code == 400 and "custobar_rpm" in response.json()["message"]
