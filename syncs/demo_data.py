"""Realistic demo data: users for each role, two catalogs, products, customers and orders.

Deterministic (seeded), so screenshots and walkthroughs look the same on every machine.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from stdnum import ean

from syncs.models import Catalog, Customer, Order, OrderItem, Product, SyncKind
from syncs.roles import ADMIN, MERCHANDISER, SUPPORT
from syncs.services.sync_state import sync_state_mark_changed

DEMO_USERS = (
    (MERCHANDISER, "merchandiser", "citrus-merch-2026"),
    (SUPPORT, "support", "citrus-support-2026"),
    (ADMIN, "admin", "citrus-admin-2026"),
)
DEMO_CATALOGS = (
    ("Groceries", "7f6c2a4e-0c1b-4a57-9d51-5e0b8f3c2a11"),
    ("Health & Beauty", "c3e9b1d2-58a4-4f0e-8b7a-2d6f1c9e4b22"),
)

# (category path, product types with sizes, brands, hfss)
_GROCERY = (
    (
        ("Pantry", "BreakfastFoods", "Cereals"),
        ("Corn Flakes", "Granola", "Muesli", "Porridge Oats"),
        ("Kelloggs", "Jordans", "Quaker", "Nature Valley"),
        ("375g", "500g", "750g"),
        True,
    ),
    (
        ("Pantry", "Pasta"),
        ("Spaghetti", "Penne", "Fusilli", "Lasagne Sheets"),
        ("Barilla", "De Cecco", "Napolina"),
        ("500g", "1kg"),
        False,
    ),
    (
        ("Drinks", "SoftDrinks"),
        ("Cola", "Lemonade", "Orange Juice", "Sparkling Water"),
        ("Coca-Cola", "Pepsi", "Tropicana", "Highland Spring"),
        ("330ml", "1L", "2L"),
        True,
    ),
    (
        ("Snacks", "Crisps"),
        ("Sea Salt Crisps", "Cheese & Onion Crisps", "Tortilla Chips"),
        ("Walkers", "Pringles", "Kettle"),
        ("40g", "150g", "200g"),
        True,
    ),
    (
        ("Dairy",),
        ("Greek Yoghurt", "Semi-Skimmed Milk", "Mature Cheddar", "Salted Butter"),
        ("Yeo Valley", "Arla", "Cathedral City", "Lurpak"),
        ("250g", "500g", "1L"),
        False,
    ),
    (
        ("Bakery",),
        ("Wholemeal Bread", "Sourdough Loaf", "Croissants", "Bagels"),
        ("Warburtons", "Hovis", "Jason's"),
        ("400g", "800g", "4 pack"),
        False,
    ),
    (
        ("Frozen",),
        ("Garden Peas", "Margherita Pizza", "Fish Fingers", "Vanilla Ice Cream"),
        ("Birds Eye", "Chicago Town", "Ben & Jerry's"),
        ("400g", "900g", "500ml"),
        True,
    ),
)
_BEAUTY = (
    (
        ("Health&Beauty", "Makeup"),
        ("Liquid Foundation", "Mascara", "Lipstick", "Concealer"),
        ("Covergirl", "Maybelline", "L'Oreal", "Rimmel"),
        ("30mL", "9mL", "4g"),
        False,
    ),
    (
        ("Health&Beauty", "HairCare"),
        ("Shampoo", "Conditioner", "Hair Oil"),
        ("Pantene", "Head & Shoulders", "Aussie"),
        ("250ml", "400ml"),
        False,
    ),
    (
        ("Health&Beauty", "SkinCare"),
        ("Moisturiser", "Cleanser", "Sun Cream SPF50"),
        ("Nivea", "CeraVe", "Garnier"),
        ("50ml", "200ml"),
        False,
    ),
    (
        ("Health&Beauty", "Medicine"),
        ("Ibuprofen Tablets", "Paracetamol Caplets", "Vitamin C"),
        ("Nurofen", "Panadol", "Berocca"),
        ("16 pack", "32 pack"),
        False,
    ),
)
_LOCATIONS = (
    "location:LDN-01",
    "location:LDN-02",
    "location:MAN-01",
    "location:BHM-01",
    "location:GLA-01",
    "location:BRS-01",
)
_FIRST = (
    "James",
    "Olivia",
    "Amelia",
    "Noah",
    "Isla",
    "Leo",
    "Ava",
    "Oscar",
    "Mia",
    "Arthur",
    "Aino",
    "Eero",
    "Sofia",
    "Matti",
    "Freya",
    "Harry",
    "Grace",
    "Jack",
    "Lily",
    "George",
)
_LAST = (
    "Carroll",
    "Stewart",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Korhonen",
    "Virtanen",
    "Davies",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Hughes",
)
_CITIES = (
    ("London", "GB", "EN"),
    ("Manchester", "GB", "EN"),
    ("Helsinki", "FI", "FI"),
    ("Espoo", "FI", "FI"),
    ("Bristol", "GB", "EN"),
    ("Glasgow", "GB", "EN"),
)


@dataclass(frozen=True)
class DemoSummary:
    users: tuple[tuple[str, str, str], ...]
    products: int
    customers: int
    orders: int
    created: bool


def demo_users_ensure() -> tuple[tuple[str, str, str], ...]:
    """Create (or reset the password of) one demo user per role."""
    user_model = get_user_model()
    for role, username, password in DEMO_USERS:
        user, _ = user_model.objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=role)])
    return DEMO_USERS


def _gtin(rng: random.Random, used: set[str]) -> str:
    while True:
        body = "50" + "".join(rng.choice("0123456789") for _ in range(10))
        code = body + ean.calc_check_digit(body)
        if code not in used:
            used.add(code)
            return code


def _products(catalog: Catalog, families, count: int, rng: random.Random, used: set[str]):
    for _ in range(count):
        categories, kinds, brands, sizes, may_be_hfss = rng.choice(families)
        brand, kind, size = rng.choice(brands), rng.choice(kinds), rng.choice(sizes)
        name = f"{brand} {kind} {size}"
        price = Decimal(rng.randrange(45, 1299)) / 100
        gtin = _gtin(rng, used)
        filters = [f"category:{c}" for c in categories] + [f"Brand:{brand.replace(' ', '')}"]
        filters.append(f"hfss:{'true' if may_be_hfss and rng.random() < 0.6 else 'false'}")
        filters += rng.sample(_LOCATIONS, rng.randint(1, 3))
        inventory = 0 if rng.random() < 0.04 else rng.randint(1, 400)
        yield Product(
            catalog=catalog,
            gtin=gtin,
            seller_id="" if rng.random() < 0.9 else f"seller-{rng.randint(1, 12):02d}",
            inventory=inventory,
            price=price,
            profit=(price * Decimal("0.18")).quantize(Decimal("0.01")),
            name=name,
            image_url=f"https://images.example-retailer.com/products/{gtin}.jpg",
            tags=[kind.split()[-1], brand],
            filters=filters,
            groups=[brand, categories[-1]],
        )


def _customers(count: int, rng: random.Random):
    now = timezone.now()
    for n in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, country, language = rng.choice(_CITIES)
        prefix = "+44 7700 9" if country == "GB" else "+358 40 1"
        yield Customer(
            external_id=f"LOY-{100000 + n}",
            email=f"{first}.{last}.{n}@example.org".lower(),
            phone_number=(prefix + f"{rng.randint(0, 99999):05d}").replace(" ", ""),
            first_name=first,
            last_name=last,
            can_email=rng.random() < 0.7,
            can_sms=rng.random() < 0.4,
            date_joined=now - datetime.timedelta(days=rng.randint(30, 2000)),
            last_login=now - datetime.timedelta(days=rng.randint(0, 60)),
            city=city,
            country=country,
            language=language,
            tags=rng.sample(["vip", "kitchenware", "newsletter", "app-user", "family"], 2),
            mailing_lists=["weekly-offers"] if rng.random() < 0.5 else [],
            company_fields={"ACME__loyalty_level": rng.choice(["bronze", "silver", "gold"])},
            targeting_data={"customer_type": rng.choice(["Retail", "Corporate"])},
        )


@transaction.atomic
def demo_data_create(
    *, products: int = 3000, customers: int = 400, orders: int = 300, seed: int = 2026
) -> DemoSummary:
    """Create demo users and, unless they exist already, catalogs, products, customers, orders."""
    users = demo_users_ensure()
    if Catalog.objects.filter(citrusad_id=DEMO_CATALOGS[0][1]).exists():
        return DemoSummary(
            users,
            Product.objects.count(),
            Customer.objects.count(),
            Order.objects.count(),
            created=False,
        )
    rng = random.Random(seed)
    groceries, beauty = (
        Catalog.objects.create(name=name, citrusad_id=remote_id, team_id="sandbox-team")
        for name, remote_id in DEMO_CATALOGS
    )
    used: set[str] = set()
    grocery_count = products * 2 // 3
    rows = list(_products(groceries, _GROCERY, grocery_count, rng, used))
    rows += _products(beauty, _BEAUTY, products - grocery_count, rng, used)
    created_products = Product.objects.bulk_create(rows, batch_size=1000)
    created_customers = Customer.objects.bulk_create(_customers(customers, rng), batch_size=1000)
    created_orders = _orders(orders, rng, created_products, created_customers)
    # Everything new is pending, so a running worker pushes it to the sandbox.
    sync_state_mark_changed(kind=SyncKind.PRODUCT, object_ids=[p.pk for p in created_products])
    sync_state_mark_changed(kind=SyncKind.CUSTOMER, object_ids=[c.pk for c in created_customers])
    sync_state_mark_changed(kind=SyncKind.ORDER, object_ids=[o.pk for o in created_orders])
    return DemoSummary(
        users, len(created_products), len(created_customers), len(created_orders), created=True
    )


def _orders(count: int, rng: random.Random, products, customers) -> list[Order]:
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            order_id=f"WEB-{240000 + n}",
            customer_id=rng.choice(customers).external_id,
            session_id=f"sess-{rng.getrandbits(48):012x}",
            order_date=now - datetime.timedelta(minutes=rng.randint(5, 60 * 24 * 30)),
        )
        for n in range(1, count + 1)
    )
    items = []
    for order in orders:
        for position, product in enumerate(rng.sample(products, rng.randint(1, 5))):
            quantity = rng.randint(1, 4)
            discount = Decimal("0.50") if rng.random() < 0.15 else None
            total = product.price * quantity - (discount or 0)
            items.append(
                OrderItem(
                    order=order,
                    position=position,
                    gtin=product.gtin,
                    quantity=quantity,
                    regular_unit_price=product.price,
                    total_order_item_price_after_discounts=total,
                    ad_id=f"display_{rng.getrandbits(64):016x}" if discount else "",
                    citrus_discount_amount=discount,
                )
            )
    OrderItem.objects.bulk_create(items, batch_size=2000)
    return orders
