"""The database cache's table (settings.CACHES: `rw_cache`), where every gunicorn worker counts the
token endpoint's throttle. Made here so that every way a database comes into being — script/setup,
the container's entrypoint, a test database, a hand-run `migrate` — has it, with nothing else to
remember. Django's own `createcachetable` makes it, from settings.CACHES, as it would by hand; it
leaves a table that already exists alone, so running it by hand later does no harm."""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.db import migrations
from psycopg import sql


def database_cache_tables():
    return [caches[alias]._table for alias in settings.CACHES if isinstance(caches[alias], BaseDatabaseCache)]


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_tables(apps, schema_editor):
    # A table name cannot be a query parameter: psycopg composes it as a quoted identifier.
    with schema_editor.connection.cursor() as cursor:
        for table in database_cache_tables():
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_person_team_chiefassignment"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, drop_cache_tables, elidable=False),
    ]
