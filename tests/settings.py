"""Test settings: the production module with test-only secrets and plain HTTP.

Subprocesses the tests start (workers, the sandbox) get DJANGO_SETTINGS_MODULE=tests.settings too.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0f3c9a7e5b1d4c2a8e6f0b9d7c5a3e1f")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Stored secrets (webhook signing secrets, feed credentials) need a key; workers get it too.
os.environ.setdefault("STORED_SECRETS_KEY", "pj6BLCWThMNDfprSLnDl9sV6FoVMS5VNwAts6S6NlZs=")

from citrusadmin.settings import *  # noqa: E402, F403
from citrusadmin.settings import STATIC_ROOT, STORAGES  # noqa: E402

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
