import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from syncs import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class CatalogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Catalog

    name = factory.Sequence(lambda n: f"Catalog {n}")
    citrusad_id = factory.Faker("uuid4")
    team_id = factory.Faker("uuid4")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Product

    catalog = factory.SubFactory(CatalogFactory)
    gtin = factory.Sequence(lambda n: f"{2000000000000 + n:014d}")
    inventory = 25
    price = Decimal("4.99")
    name = factory.Faker("sentence", nb_words=3)
    filters = factory.LazyFunction(lambda: ["category:Pantry", "hfss:false"])


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Customer

    external_id = factory.Sequence(lambda n: f"CUST-{n:06d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Order

    order_id = factory.Sequence(lambda n: f"ORD-{n:07d}")
    customer_id = factory.Sequence(lambda n: f"CUST-{n:06d}")
    order_date = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OrderItem

    order = factory.SubFactory(OrderFactory)
    position = factory.Sequence(lambda n: n)
    gtin = factory.Sequence(lambda n: f"{3000000000000 + n:014d}")
    quantity = 1
    regular_unit_price = Decimal("9.99")
    total_order_item_price_after_discounts = Decimal("9.99")
