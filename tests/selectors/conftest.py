from tests.views.conftest import fresh_cache  # noqa: F401 (an autouse fixture)
