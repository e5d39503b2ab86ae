"""The indexes of columns empty on most events made partial (a row without a value adds
no entry), and the unique tokens' text-pattern twins dropped.

On PostgreSQL, against a live table of millions of rows: the new indexes are built
with ``CREATE INDEX CONCURRENTLY`` before the old ones go (``DROP INDEX CONCURRENTLY``;
the two unique constraints with a short ``lock_timeout``), outside a transaction, and
the foreign keys are left as they are (Django's ``AlterField`` would drop and re-add
each, checking every row under an exclusive lock). Each step may run again, so a
migration stopped half-way is finished by running it again. Elsewhere (SQLite) and
backwards, Django's own operations."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "events_event"
NEW_INDEXES = {"events_by_handler": "handler_id", "events_by_duplicate_of": "duplicate_of_id",
               "events_by_merged_into": "merged_into_id"}
NEW_UNIQUE = {"events_rating_token_unique": "rating_token", "events_tracking_code_unique": "tracking_code"}


def _postgres_forwards(connection) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name, column in NEW_INDEXES.items():
            cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(name)} ON {quote(TABLE)} ({quote(column)}) "
                           f"WHERE {quote(column)} IS NOT NULL")
        for name, column in NEW_UNIQUE.items():
            cursor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {quote(name)} ON {quote(TABLE)} ({quote(column)}) "
                           f"WHERE {quote(column)} IS NOT NULL")
        # A build that failed half-way (a duplicate, a cancel) leaves an invalid index
        # that IF NOT EXISTS would keep: refuse to go on rather than drop the old ones.
        cursor.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid AND indexrelid::regclass::text = ANY(%s)",
                       [[*NEW_INDEXES, *NEW_UNIQUE]])
        invalid = [name for (name,) in cursor.fetchall()]
        if invalid:
            raise RuntimeError(f"invalid indexes {invalid}: drop them (DROP INDEX CONCURRENTLY) and migrate again")
        old = connection.introspection.get_constraints(cursor, TABLE)
        for name, info in old.items():
            if name in NEW_INDEXES or name in NEW_UNIQUE or len(info["columns"]) != 1 or info["foreign_key"]:
                continue
            (column,) = info["columns"]
            if info["unique"] and not info["index"] and column in NEW_UNIQUE.values():
                cursor.execute("SET lock_timeout = '10s'")
                cursor.execute(f"ALTER TABLE {quote(TABLE)} DROP CONSTRAINT IF EXISTS {quote(name)}")
                cursor.execute("RESET lock_timeout")
            elif info["index"] and not info["unique"] and column in (*NEW_INDEXES.values(), *NEW_UNIQUE.values()):
                cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(name)}")


STATE = [
    migrations.AlterField(
        model_name='event',
        name='duplicate_of',
        field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='events.event', verbose_name='possible duplicate of'),
    ),
    migrations.AlterField(
        model_name='event',
        name='handler',
        field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='handled_events', to=settings.AUTH_USER_MODEL, verbose_name='handler'),
    ),
    migrations.AlterField(
        model_name='event',
        name='merged_into',
        field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_events', to='events.event', verbose_name='merged into'),
    ),
    migrations.AlterField(
        model_name='event',
        name='rating_token',
        field=models.CharField(blank=True, editable=False, max_length=64, null=True),
    ),
    migrations.AlterField(
        model_name='event',
        name='tracking_code',
        field=models.CharField(blank=True, editable=False, max_length=16, null=True, verbose_name='tracking code'),
    ),
    migrations.AddIndex(
        model_name='event',
        index=models.Index(condition=models.Q(('handler__isnull', False)), fields=['handler'], name='events_by_handler'),
    ),
    migrations.AddIndex(
        model_name='event',
        index=models.Index(condition=models.Q(('duplicate_of__isnull', False)), fields=['duplicate_of'], name='events_by_duplicate_of'),
    ),
    migrations.AddIndex(
        model_name='event',
        index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'], name='events_by_merged_into'),
    ),
    migrations.AddConstraint(
        model_name='event',
        constraint=models.UniqueConstraint(condition=models.Q(('rating_token__isnull', False)), fields=('rating_token',), name='events_rating_token_unique'),
    ),
    migrations.AddConstraint(
        model_name='event',
        constraint=models.UniqueConstraint(condition=models.Q(('tracking_code__isnull', False)), fields=('tracking_code',), name='events_tracking_code_unique'),
    ),
]


class ConcurrentlyOnPostgres(migrations.SeparateDatabaseAndState):
    """The state's operations; on PostgreSQL, forwards, ``_postgres_forwards`` in their place
    (only on a database the routers let the event table migrate to)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            if not self.allow_migrate_model(schema_editor.connection.alias, from_state.apps.get_model(app_label, "event")):
                return
            _postgres_forwards(schema_editor.connection)
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('accounts', '0002_name_en'),
        ('events', '0015_grants_newest_indexes'),
        ('grids', '0002_name_en'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        ConcurrentlyOnPostgres(
            state_operations=STATE,
            database_operations=STATE,
        ),
    ]
