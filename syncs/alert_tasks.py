"""Celery task of the alerts (registered by SyncsConfig.ready()); a thin adapter."""

import logging

from celery import shared_task

from syncs.alerts.evaluation import AlertEvaluation

logger = logging.getLogger("syncs.alerts")


@shared_task(name="syncs.alert_tasks.alerts_evaluate", ignore_result=True)
def alerts_evaluate() -> None:
    """Open, resolve and remind incidents, and send what is due."""
    result = AlertEvaluation().run()
    if result.opened or result.resolved or result.delivered.get("sent"):
        logger.info(
            "alerts: %s opened, %s resolved, %s sent",
            len(result.opened),
            len(result.resolved),
            result.delivered.get("sent", 0),
        )
