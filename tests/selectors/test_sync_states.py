import datetime

import pytest
from django.utils import timezone

from syncs.selectors import sync_states
from tests.views.conftest import make_state

pytestmark = pytest.mark.django_db


def test_overview_counts_and_sync_lag(products):
    changed = timezone.now() - datetime.timedelta(minutes=30)
    make_state(products["exact"], kind="product", status="pending", changed_at=changed)
    make_state(products["longer"], kind="product", status="failed")
    make_state(products["other"], kind="product", status="confirmed")
    citrusad = next(d for d in sync_states.sync_overview() if d.name == "citrusad")
    (product_counts,) = citrusad.kinds
    assert (product_counts.total, product_counts.pending, product_counts.failed) == (3, 1, 1)
    assert product_counts.confirmed == 1
    assert 29 * 60 < product_counts.lag_seconds < 31 * 60
