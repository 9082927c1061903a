"""The console at a laptop's 1280 px and a phone's 390 px, in Chromium."""

import pytest
from playwright.sync_api import expect

from syncs.models import Product
from tests.factories import CatalogFactory, ProductFactory, UserFactory
from tests.views.conftest import make_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shelf():
    catalog = CatalogFactory(name="Groceries and household supplies")
    products = [
        ProductFactory(
            catalog=catalog,
            gtin=f"0641489340{i:04d}",
            name=f"Organic rolled oats, extra fine, family pack of 2 × 1 kg, no. {i}",
        )
        for i in range(4)
    ]
    Product.objects.filter(pk=products[0].pk).update(inventory=0, restore_inventory=1400)
    for product in products:
        make_state(product, kind="product", status="failed", last_error="price must be positive")
    return products


def _one_line(locator) -> bool:
    """A button whose text takes one line: its height is one line box, not two."""
    return locator.evaluate(
        "b => { const s = getComputedStyle(b); const line = parseFloat(s.lineHeight) || "
        "parseFloat(s.fontSize) * 1.5; return b.getBoundingClientRect().height < 2 * line; }"
    )


def test_at_1280_row_buttons_stay_on_one_line_and_tables_use_the_width(console, shelf):
    console.login(UserFactory(role="support"))
    console.go("/products/?q=0641489340")
    rows = console.page.locator("#results tr[id^=product-]")
    expect(rows).to_have_count(4)
    buttons = console.page.locator("td.row-action button")
    expect(buttons.first).to_have_text("Restore (1400)")
    for i in range(buttons.count()):
        assert _one_line(buttons.nth(i)), buttons.nth(i).inner_text()
    table = console.page.locator("#results table.products").bounding_box()
    assert table["width"] > 1150, "the table takes the width of the screen"
    console.go("/")
    retry = console.page.get_by_role("button", name="Retry").first
    expect(retry).to_be_visible()
    assert _one_line(retry)


def test_at_390_the_nav_is_a_menu_and_a_rows_stock_action_needs_no_sideways_scroll(console, shelf):
    page = console.page
    page.set_viewport_size({"width": 390, "height": 844})
    console.login(UserFactory(role="merchandiser"))
    console.go(f"/products/?q={shelf[1].gtin}")
    nav = page.locator("#main-nav")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(nav).to_be_hidden()
    button = page.get_by_role("button", name=f"Stock out {shelf[1].gtin}")
    expect(button).to_be_visible()
    # A scanned product's action is on the first screen: no scrolling down after each scan.
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    console.screenshot("products-mobile")

    button.click()
    expect(page.get_by_role("button", name=f"Restore {shelf[1].gtin}")).to_be_visible()
    menu.click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Products")).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    console.screenshot("menu-mobile")
