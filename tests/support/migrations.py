"""Moving the test database to some migrations and back, for tests of what a migration does to data
already there."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to `targets` ([(app, migration name)]) and return the apps as they were there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def leaf_migrations():
    """The leaf migrations: where a test returns to."""
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())
