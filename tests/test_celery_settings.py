"""Celery silently ignores a misspelt CELERY_ setting: assert the app has the intended ones."""

from citrusadmin.celery import app


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_queues_are_priority_sync_and_imports():
    from syncs.queues import Queue

    assert {queue.name for queue in app.conf.task_queues} == {"priority", "sync", "imports"}
    assert {queue.name for queue in app.conf.task_queues} == set(Queue)
    assert app.conf.task_default_queue == "sync"


def test_time_limits_are_set_and_below_the_visibility_timeout():
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    if app.conf.broker_url.startswith("redis"):
        assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_results_are_not_stored():
    assert app.conf.task_ignore_result is True
    assert app.conf.task_serializer == "json"


def test_the_suite_uses_redis_when_redis_url_is_set(settings):
    import os

    if os.environ.get("REDIS_URL"):
        assert app.conf.broker_url == os.environ["REDIS_URL"]


def _queue_of(name):
    return app.amqp.router.route({}, name)["queue"].name


def test_manual_actions_are_routed_to_priority_and_bulk_to_sync():
    import syncs.tasks  # noqa: F401 (registers the tasks)
    from syncs.queues import Queue, TaskName

    assert _queue_of(TaskName.SYNC_DRAIN) == Queue.SYNC
    assert _queue_of(TaskName.SYNC_DRAIN_MANUAL) == Queue.PRIORITY
    assert _queue_of("syncs.tasks.sync_sweep") == Queue.PRIORITY
    assert _queue_of("syncs.tasks.sync_history_prune") == Queue.SYNC


def test_every_task_is_named_by_one_pattern_and_routed_explicitly():
    import syncs.tasks  # noqa: F401
    from syncs.queues import Queue, TaskName
    from syncs.schedule import TASK_ROUTES

    ours = {name for name in app.tasks if name.startswith("syncs.")}
    assert ours == set(TaskName)
    assert all(name.startswith("syncs.tasks.") for name in ours)
    assert set(TASK_ROUTES) == ours  # no task falls through to the default queue
    assert {route["queue"] for route in TASK_ROUTES.values()} == set(Queue)
    # An import runs for up to an hour: never on the queue the sync drains need.
    assert _queue_of(TaskName.IMPORT_JOB_RUN) == Queue.IMPORTS
    assert _queue_of(TaskName.IMPORT_REVERT_RUN) == Queue.IMPORTS
    assert app.tasks[TaskName.IMPORT_JOB_RUN].time_limit <= 60 * 60


def test_every_periodic_task_exists_and_the_sweep_runs_often():
    import syncs.tasks  # noqa: F401

    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
    assert schedule["sync-sweep"]["schedule"] <= 60
    assert "sync-history-prune" in schedule


def test_every_countdown_is_below_the_visibility_timeout(settings):
    from syncs.services.push import DRAIN_TIME_BUDGET, LATER_MAX_COUNTDOWN

    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if visibility is not None:
        assert visibility > LATER_MAX_COUNTDOWN
        assert app.conf.task_time_limit < visibility
    assert app.conf.task_soft_time_limit > DRAIN_TIME_BUDGET


def test_a_bulk_stock_action_someone_is_watching_runs_on_priority():
    import syncs.tasks  # noqa: F401
    from syncs.queues import Queue, TaskName

    assert TaskName.PRODUCT_BULK_STOCK in app.tasks
    assert _queue_of(TaskName.PRODUCT_BULK_STOCK) == Queue.PRIORITY


def test_feeds_alerts_and_the_stock_out_check_are_routed_and_scheduled():
    from celery.schedules import crontab

    from syncs.queues import Queue, TaskName
    from syncs.services.stockouts import CHECK_BUDGET_SECONDS

    # Starting feeds and sending alerts never wait behind a bulk push.
    assert _queue_of(TaskName.FEEDS_START_DUE) == Queue.PRIORITY
    assert _queue_of(TaskName.ALERTS_EVALUATE) == Queue.PRIORITY
    assert _queue_of(TaskName.FEED_RUN) == Queue.SYNC
    assert _queue_of(TaskName.STOCKOUT_CHECK_RUN) == Queue.SYNC
    schedule = app.conf.beat_schedule
    assert schedule["feeds-tick"]["schedule"] <= 60
    assert schedule["alerts-evaluate"]["schedule"] <= 60
    assert schedule["stockout-check"]["schedule"] == crontab(minute=30, hour=4)
    assert schedule["stockouts-tick"]["schedule"] <= 300
    # A check's task stops well before Celery would kill it, and a continuation goes on.
    assert app.conf.task_soft_time_limit > CHECK_BUDGET_SECONDS
