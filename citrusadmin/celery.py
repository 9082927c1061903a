"""The Celery app: configured from Django settings (CELERY_ namespace), tasks found in the apps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citrusadmin.settings")

app = Celery("citrusadmin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
