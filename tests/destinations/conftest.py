import pytest

from syncs.services.webhooks import webhook_endpoint_create


@pytest.fixture
def endpoint(sandbox, admin_user):
    """An endpoint "Shop" (products and orders) at the sandbox's receiver, which knows its
    secret (kept on the object as `test_secret`, as the admin saw it once)."""
    created, secret = webhook_endpoint_create(
        name="Shop",
        url=f"{sandbox.url}/webhooks/shop",
        kinds=["product", "order"],
        enabled=True,
        actor=admin_user,
    )
    sandbox.webhook_secret_add(secret)
    created.test_secret = secret
    return created
