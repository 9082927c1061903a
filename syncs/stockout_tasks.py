"""Celery tasks of the stock-out check (registered by SyncsConfig.ready()); thin adapters."""

import logging

from celery import shared_task

from syncs.services.stockouts import (
    TASK_CHECK_RUN,
    stockout_check_run,
    stockout_check_start,
    stockout_checks_resume,
    stockout_recheck,
)

logger = logging.getLogger("syncs.stockouts")


@shared_task(name="syncs.stockout_tasks.stockout_check_nightly", ignore_result=True)
def stockout_check_nightly() -> None:
    """Start the nightly check of every stocked-out product (unless one is running)."""
    if stockout_check_start(trigger="schedule") is None:
        logger.info("a stock-out check is running already")


@shared_task(name=TASK_CHECK_RUN, ignore_result=True)
def stockout_check_run_task(*, check_id: int, take: bool = False) -> None:
    """Ask CitrusAd about the next stocked-out products, for at most ten minutes."""
    stockout_check_run(check_id=check_id, take=take)


@shared_task(name="syncs.stockout_tasks.stockouts_tick", ignore_result=True)
def stockouts_tick() -> None:
    """Continue a check whose worker stopped; ask again about re-sent products that landed."""
    resumed, asked = stockout_checks_resume(), stockout_recheck()
    if resumed or asked:
        logger.info("stock-out check: %s resumed, %s re-sent products asked again", resumed, asked)
