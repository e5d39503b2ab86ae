"""Migrations that run SQL of their own keep to the database routers: a database the event
table does not live on (the benchmark's baseline database, a city's second database) is
left untouched by them."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

# SQLite's schema editor cannot run inside the test's transaction; there the operation is
# Django's own AddIndex and friends, which keep to the routers themselves.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the migration's own SQL runs on PostgreSQL")]


class EventsElsewhere:
    def allow_migrate(self, db, app_label, **hints):
        return app_label != "events"


def test_the_partial_indexes_migration_leaves_a_database_without_the_event_table_alone(settings):
    module = importlib.import_module("events.migrations.0016_partial_indexes_for_mostly_empty_columns")
    operation = module.Migration.operations[0]
    loader = MigrationLoader(connection)
    before = loader.project_state(("events", "0015_grants_newest_indexes"))
    after = before.clone()
    operation.state_forwards("events", after)
    settings.DATABASE_ROUTERS = [EventsElsewhere()]
    with CaptureQueriesContext(connection) as queries, connection.schema_editor(atomic=False) as editor:
        operation.database_forwards("events", editor, before, after)
    assert [query["sql"] for query in queries] == []
