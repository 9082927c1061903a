"""The Celery app: configured from Django settings (CELERY_ namespace), tasks found in the apps."""

import os

from celery import Celery

from syncs.schedule import BEAT_SCHEDULE, TASK_ROUTES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citrusadmin.settings")

app = Celery("citrusadmin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.conf.task_routes = TASK_ROUTES
app.autodiscover_tasks()
