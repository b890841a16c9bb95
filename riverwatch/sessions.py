"""How long a login lasts unused. A signed-in session ends SESSION_IDLE_HOURS after its last request
(the office's pages), or SESSION_FIELD_HOURS after its last request to the phone app: a volunteer
signs in at the start of a patrol day and is not asked again halfway along the river.

The end is kept in the session itself (`set_expiry` with a time), so Django's session store drops
the session and the cookie's Max-Age follows. It moves on with every request of a signed-in user, so
each such request saves the session, as SESSION_SAVE_EVERY_REQUEST would: one small UPDATE, the same
on every request (a request's query count does not depend on how long ago the last one was).

The session store (SESSION_ENGINE = "riverwatch.sessions") is Django's database store that takes a
cookie for a session key only if it could be one Django made."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.utils import timezone

# The phone app: its screens, its own API, and what its outbox sends (records, then their photos).
FIELD_PATHS = ("/m/", "/api/field/")
FIELD_UPLOADS = {"api-activities", "api-activity-photos"}


def is_field_request(request) -> bool:
    if request.path.startswith(FIELD_PATHS):
        return True
    match = getattr(request, "resolver_match", None)
    return request.method == "POST" and match is not None and match.url_name in FIELD_UPLOADS


def login_window(request) -> timedelta:
    hours = settings.SESSION_FIELD_HOURS if is_field_request(request) else settings.SESSION_IDLE_HOURS
    return timedelta(hours=hours)


class SessionExpiryMiddleware:
    """After AuthenticationMiddleware; on the way out it runs before SessionMiddleware saves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return response  # nobody signed in (or signed out just now): nothing to keep alive
        end = timezone.now() + login_window(request)
        if "_session_expiry" in session and not is_field_request(request):
            # An office page opened on the phone does not cut a patrol day's login short.
            end = max(end, session.get_expiry_date())
        session.set_expiry(end)
        return response


class SessionStore(db.SessionStore):
    """A cookie holding anything but the characters of Django's own keys (a NUL, say, which
    PostgreSQL cannot store) is no session: the visitor is signed out, not answered 500."""

    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and len(key) <= 40 and all(c in VALID_KEY_CHARS for c in key)
