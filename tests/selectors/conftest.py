import pytest

from tests.factories import CatalogFactory, ProductFactory
from tests.views.conftest import fresh_cache  # noqa: F401 (an autouse fixture)


@pytest.fixture
def products():
    catalog = CatalogFactory()
    return {
        "exact": ProductFactory(catalog=catalog, gtin="6410000001", name="Oat drink"),
        "longer": ProductFactory(catalog=catalog, gtin="64100000012", name="Oat drink barista"),
        "other": ProductFactory(catalog=catalog, gtin="7310000000", name="Rye bread", inventory=0),
    }
