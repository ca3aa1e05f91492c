"""Settings for the test suite: the normal settings with fast password hashing and in-memory e-mail."""

from ebok.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production uses argon2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run as soon as they are queued (queueing happens on commit; see django_capture_on_commit_callbacks).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
