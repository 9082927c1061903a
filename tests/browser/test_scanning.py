"""A barcode scanner types a code and Enter into whatever has focus: it must only ever search."""

import re

import pytest
from playwright.sync_api import expect

from syncs.models import Product
from tests.factories import CatalogFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan(console, code: str) -> None:
    """What a scanner does: the digits as key presses, then Enter, into whatever has focus."""
    console.page.keyboard.type(code, delay=5)
    console.page.keyboard.press("Enter")


def tab_to(console, label: str) -> None:
    """Move focus with the Tab key alone until the element with this accessible label has it."""
    for _ in range(40):
        console.page.keyboard.press("Tab")
        focused = console.page.evaluate("document.activeElement.getAttribute('aria-label')")
        if focused == label:
            return
    raise AssertionError(f"Tab never reached {label!r}")


def expect_search_box_selected(console, box) -> None:
    expect(box).to_be_focused()
    start, end, length = box.evaluate("b => [b.selectionStart, b.selectionEnd, b.value.length]")
    assert (start, end) == (0, length) and length > 0, "the search text is selected"


@pytest.fixture
def shelf():
    catalog = CatalogFactory(name="Groceries")
    return {
        "pen": ProductFactory(catalog=catalog, gtin="04006381333931", name="Pen", inventory=5),
        "rye": ProductFactory(catalog=catalog, gtin="6414893400012", name="Rye", inventory=7),
        "oat": ProductFactory(catalog=catalog, gtin="7310865071705", name="Oat", inventory=9),
    }


def test_keyboard_only_stock_out_then_scans_never_press_a_row_button(console, shelf):
    pen, rye, oat = shelf["pen"], shelf["rye"], shelf["oat"]
    console.login(UserFactory(role="merchandiser"))
    console.go("/products/")
    box = console.page.get_by_label("GTIN or name")
    expect(box).to_be_focused()

    scan(console, "4006381333931")  # the EAN-13 on the pack; the file stored GTIN-14
    row = console.page.locator(f"#product-{pen.pk}")
    expect(row).to_contain_text("matched as GTIN-14")
    expect(console.page.locator("#results tbody tr")).to_have_count(1)
    expect_search_box_selected(console, box)

    tab_to(console, f"Stock out {pen.gtin}")
    console.page.keyboard.press("Enter")
    expect(row.get_by_role("button", name=f"Restore {pen.gtin}")).to_be_visible()
    expect_search_box_selected(console, box)  # not the Restore button that replaced it

    scan(console, rye.gtin)  # the next product: its Enter searches, it restores nothing
    expect(console.page.locator(f"#product-{rye.pk}")).to_be_visible()
    expect(console.page.locator("#results tbody tr")).to_have_count(1)
    expect_search_box_selected(console, box)
    pen.refresh_from_db()
    assert pen.inventory == 0, "the scan after the stock-out did not undo it"

    # Focus on a row button (a keyboard user tabbed there), then a scan: it goes to the box.
    tab_to(console, f"Stock out {rye.gtin}")
    scan(console, oat.gtin)
    expect(console.page.locator(f"#product-{oat.pk}")).to_be_visible()
    expect(console.page.locator("#results tbody tr")).to_have_count(1)
    assert Product.objects.get(pk=rye.pk).inventory == 7, "the scanner's Enter pressed nothing"


def test_a_scan_after_a_mouse_restore_searches(console, shelf):
    pen, rye = shelf["pen"], shelf["rye"]
    Product.objects.filter(pk=pen.pk).update(inventory=0, restore_inventory=5)
    console.login(UserFactory(role="merchandiser"))
    console.go(f"/products/?q={pen.gtin}")
    box = console.page.get_by_label("GTIN or name")
    row = console.page.locator(f"#product-{pen.pk}")
    row.get_by_role("button", name=f"Restore {pen.gtin}").click()  # with the mouse
    expect(row.get_by_role("button", name=f"Stock out {pen.gtin}")).to_be_visible()
    expect_search_box_selected(console, box)
    scan(console, rye.gtin)
    expect(console.page.locator(f"#product-{rye.pk}")).to_be_visible()
    pen.refresh_from_db()
    assert pen.inventory == 5, "the scan did not stock the restored product out again"


def test_the_product_page_gives_focus_back_to_its_search_box_after_a_stock_out(console, shelf):
    pen, rye = shelf["pen"], shelf["rye"]
    console.login(UserFactory(role="merchandiser"))
    console.go(f"/products/{pen.pk}/")
    box = console.page.get_by_label("Scan or search next")
    expect_search_box_selected(console, box)
    tab_to(console, f"Stock out {pen.gtin}")
    console.page.keyboard.press("Enter")
    expect(console.page.get_by_role("button", name=f"Restore {pen.gtin}")).to_be_visible()
    expect_search_box_selected(console, box)
    scan(console, rye.gtin)
    expect(console.page.locator(f"#product-{rye.pk}")).to_be_visible()
    pen.refresh_from_db()
    assert pen.inventory == 0


def test_a_scanned_ean13_shows_the_stored_gtin14_and_says_so(console, shelf):
    console.login(UserFactory(role="merchandiser"))
    console.go("/products/")
    scan(console, "4006381333931")
    expect(console.page).to_have_url(re.compile(r"/products/\?q=4006381333931&"))
    row = console.page.locator(f"#product-{shelf['pen'].pk}")
    expect(row).to_contain_text("matched as GTIN-14")
    expect(row).to_contain_text("04006381333931")
    expect(console.page.locator("#results tbody tr")).to_have_count(1)
    console.screenshot("products-scan")
