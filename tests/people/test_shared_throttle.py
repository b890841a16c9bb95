"""The token endpoint's throttle (10 a minute per client address) counts in the database cache, so
every gunicorn worker sees the same count; and the address it counts by is the one our own proxies
saw (TRUSTED_PROXY_COUNT), so a forged X-Forwarded-For does not give a guesser a fresh count."""

import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from people.api import LoginThrottle, ObtainToken

TOKEN_URL = "/api/auth/token/"
LIMIT = 10  # settings: LOGIN_THROTTLE_RATE's default, 10/min


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def guess(**meta):
    return APIClient().post(TOKEN_URL, {"username": "nobody", "password": "guess"}, format="json", **meta)


def worker():
    """A throttle as another gunicorn worker has it: its own cache client, nothing shared in memory."""
    throttle = LoginThrottle()
    throttle.cache = caches.create_connection("default")
    return throttle


def token_request(address="203.0.113.5", **meta):
    return Request(APIRequestFactory().post(TOKEN_URL, REMOTE_ADDR=address, **meta))


def test_the_default_cache_is_the_database():
    assert isinstance(caches["default"], DatabaseCache)
    assert caches["default"]._table == "rw_cache"
    assert "rw_cache" in connection.introspection.table_names()


def test_two_workers_share_one_count():
    first, second, view = worker(), worker(), ObtainToken()
    assert first.cache is not second.cache
    answers = [(first if i % 2 else second).allow_request(token_request(), view) for i in range(LIMIT)]
    assert answers == [True] * LIMIT
    assert not first.allow_request(token_request(), view)
    assert not second.allow_request(token_request(), view)
    assert worker().allow_request(token_request("203.0.113.6"), view)  # another client has its own count
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM rw_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any("throttle_login_203.0.113.5" in key for key in keys)


def test_a_forged_x_forwarded_for_does_not_dodge_the_throttle(db, settings):
    settings.TRUSTED_PROXY_COUNT = 0  # served directly: the header is the client's to write
    statuses = [guess(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
                for i in range(LIMIT + 1)]
    assert statuses == [400] * LIMIT + [429]
    response = guess(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.200, 203.0.113.201")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_behind_a_trusted_proxy_each_client_behind_it_has_its_own_count(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1  # the proxy (10.0.0.9) appends the address it saw, last
    statuses = [guess(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.7").status_code
                for i in range(LIMIT + 1)]
    assert statuses == [400] * LIMIT + [429]  # what the client wrote in front does not matter
    other = guess(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 400  # another client behind the same proxy: not throttled with it


WORKER = """
import os, time_machine, django
django.setup()
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from people.api import LoginThrottle, ObtainToken
with time_machine.travel(float(os.environ["RW_TEST_NOW"]), tick=False):
    request = Request(APIRequestFactory().post("/api/auth/token/", REMOTE_ADDR="127.0.0.1"))
    print("allowed" if LoginThrottle().allow_request(request, ObtainToken()) else "throttled")
"""


def _test_database_url():
    db = connection.settings_dict
    login = quote(db["USER"], safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    return f"postgis://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)  # committed, so another process sees the count
def test_another_process_sees_the_count():
    """A second Python process, as a second gunicorn worker is, refuses the 11th guess."""
    try:
        assert [guess().status_code for _ in range(LIMIT)] == [400] * LIMIT
        env = {**os.environ, "DATABASE_URL": _test_database_url(), "RW_TEST_NOW": str(time.time()),
               "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "riverwatch.settings.test")}
        result = subprocess.run([sys.executable, "-c", WORKER], check=False, env=env, capture_output=True, text=True,
                                timeout=120, cwd=str(settings.BASE_DIR))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "throttled"
    finally:
        cache.clear()  # the cache table is not a model: the flush after this test leaves it alone
