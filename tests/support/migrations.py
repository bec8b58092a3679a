"""Moving the test database along the migration graph, and always back to its end.

A test of a data migration migrates backwards to the state before it, then forwards. Going
back to an app's migration also unapplies, in every app, the migrations that depend on it;
going forward to that app's next migration does not reapply them. ``migrations_at`` is a
context manager that, whatever happens in the test, migrates the database to every leaf of
the graph on exit, so the tests after it find the whole schema (a transfer step's ``at``
column missing in a later browser test was such a leak).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _migrate(target: tuple[str, str]) -> Apps:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@contextmanager
def migrations_at() -> Iterator[Callable[[tuple[str, str]], Apps]]:
    """Yield ``to((app, migration))``, which migrates there and returns that state's apps."""
    try:
        yield _migrate
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
