"""/healthz: for the compose file's health check and an orchestrator's probes.

200 {"status": "ok", "database": true, "migrations": true} when the database answers and every
migration of the code is applied; 503 with "error" and the failing part false otherwise. Nothing else:
no versions, counts, host names or error text (those go to the log). No login, no session, no CSRF
cookie, never cached. The migrations check reads every migration file, so its answer is kept for
MIGRATIONS_CHECK_SECONDS in each process; the database is asked every time (one SELECT 1).
"""

import logging
import threading
import time

from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

MIGRATIONS_CHECK_SECONDS = 60

_clock = time.monotonic  # tests move it
_lock = threading.Lock()
_migrations = {"checked_at": None, "applied": False}


def forget_migrations_check():
    """The next request checks the migrations again (after `migrate`, and in tests)."""
    with _lock:
        _migrations["checked_at"] = None


def _database_reachable(connection):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # any failure means "not reachable"; the reason goes to the log only
        logger.warning("healthz: the database is not reachable", exc_info=True)
        return False


def _migrations_applied(connection):
    with _lock:
        checked_at = _migrations["checked_at"]
        if checked_at is not None and _clock() - checked_at < MIGRATIONS_CHECK_SECONDS:
            return _migrations["applied"]
    try:
        executor = MigrationExecutor(connection)
        applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:  # the database went away in between, or a broken migration graph: not cached
        logger.warning("healthz: the migrations could not be checked", exc_info=True)
        return False
    if not applied:
        logger.warning("healthz: the database lacks migrations of this code; run manage.py migrate")
    with _lock:
        _migrations.update(checked_at=_clock(), applied=applied)
    return applied


@login_not_required
@never_cache
@require_safe
def healthz(request):
    connection = connections[DEFAULT_DB_ALIAS]
    database = _database_reachable(connection)
    migrations = database and _migrations_applied(connection)
    healthy = database and migrations
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database, "migrations": migrations},
        status=200 if healthy else 503,
    )
