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


class AxesBackendForTests:
    """django-axes' check for every login with a request. Tests also call authenticate() and
    client.login() without one, which axes refuses outright (as it should on a live site)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        from axes.backends import AxesStandaloneBackend

        return AxesStandaloneBackend().authenticate(request, username, password, **kwargs)


AUTHENTICATION_BACKENDS = [
    "riverwatch.settings.test.AxesBackendForTests" if path == "axes.backends.AxesStandaloneBackend" else path
    for path in AUTHENTICATION_BACKENDS  # noqa: F405
]
