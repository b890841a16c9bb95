from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Serve static files straight from the source folders (no collectstatic in development).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Login lockout (django-axes) stays on. Its limit sits above the token endpoint's throttle (10 a
# minute), so tests that fail logins on purpose meet that throttle first; the lockout tests
# (tests/people/test_login_lockout.py) set the limit they exercise.
LOGIN_FAILURE_LIMIT = AXES_FAILURE_LIMIT = 20

# Report builds run within the request in tests; tests/reports/yearbook/test_builds.py runs the
# database queue and its worker on purpose.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
