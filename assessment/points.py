"""The machinery under point awards (积分): where each kind of work is read from, the
high-water marks that let a run read only what is new, and the one statement that
writes entries. The rules themselves (which work counts) are ``assessment.services``'
``_sources``; the services award through here.

Two paths write ``PointEntry`` rows, both as ``INSERT … ON CONFLICT DO NOTHING`` on the
unique (rule, source), so however they interleave nothing is awarded twice:

- **as the work is recorded**: the workflow's ``timeline_recorded`` (accept, on-site
  report, reject, verify) and the saving of a care visit or a key-place inspection award
  the entries of that one item in the same transaction (``assessment.receivers``), so
  this month's points are there as soon as the work is;
- **the sweep** (``points_award``: every ten minutes, daily, ``assess``): for each rule
  with a source table below, only the rows above the rule's mark (``PointMark``), so a
  run is proportional to what is new, not to the month. It catches what the first path
  cannot see (rows written in bulk, a rule switched on, a grid worker's role granted
  after the work).

A mark only moves past rows older than ``POINTS_AWARD_OVERLAP`` (30 minutes): a row
whose transaction commits after a run has read the table can have a lower id than rows
the run saw, so each run reads the last half hour again (harmless: nothing is awarded
twice). The assumption: no transaction that writes work stays open for half an hour.
Runs take one advisory lock and queue behind each other.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from psycopg2.extensions import AsIs

from accounts.scoping import grid_workers_visible_to
from assessment.models import PointEntry, PointSource
from governance import pipeline

# Work older than this is taken to be committed (see the module docstring).
POINTS_AWARD_OVERLAP = timedelta(minutes=30)
# Bounds that let a source's period filter through when a run reads by mark instead.
EVER = datetime(2000, 1, 1, tzinfo=UTC)
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
# Any stable number: the advisory lock that queues runs (pg_advisory_xact_lock).
_LOCK_KEY = 7_214_021


@dataclass(frozen=True)
class Driver:
    """The table whose new rows bring a rule's new work: ``table`` (a model), its time
    column, and how to narrow the rule's sources to rows of it (``narrow(qs, rows)``
    with ``rows`` a queryset of the table)."""

    model_path: str
    time_field: str
    narrow: object

    @property
    def model(self):
        from django.apps import apps

        return apps.get_model(self.model_path)


def _by_event(qs, rows):
    return qs.filter(pk__in=rows.values("event_id"))


def _by_own_event(qs, rows):
    return qs.filter(event_id__in=rows.values("event_id"))


def _by_id(qs, rows):
    return qs.filter(pk__in=rows.values("pk"))


# Timeline rows bring events' new state (accepted, rejected, verified); care visits and
# inspections are their own rows. Sources not listed (patrol rounds: a few thousand a
# month, ended long after they start) are read for the whole period each run.
DRIVERS = {
    PointSource.VALID_REPORT: Driver("workflow.TimelineEntry", "at", _by_event),
    PointSource.REJECTED_REPORT: Driver("workflow.TimelineEntry", "at", _by_event),
    PointSource.VERIFICATION: Driver("workflow.TimelineEntry", "at", _by_id),
    PointSource.LATE_VERIFICATION: Driver("workflow.TimelineEntry", "at", _by_id),
    PointSource.PATROL_FINDING: Driver("workflow.TimelineEntry", "at", _by_own_event),
    PointSource.CARE_VISIT: Driver("residents.CareVisit", "created_at", _by_id),
    PointSource.PATROL: Driver("residents.PlaceInspection", "created_at", _by_id),
}


def runs_queue() -> None:
    """Inside a transaction: wait until no other award run is in its transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def rows_after(driver: Driver, through_id: int | None) -> QuerySet:
    rows = driver.model.objects.all()
    return rows if through_id is None else rows.filter(pk__gt=through_id)


def mark_next(driver: Driver, through_id: int | None, cutoff: datetime) -> int | None:
    """The highest id a run may mark as read: the newest new row written before
    ``cutoff``. Ids are handed out in time order, so every row below it is older still,
    hence committed; newer rows are read again next time. Walks the new rows by primary
    key from the top, so it costs what is new."""
    newest_old = (rows_after(driver, through_id).filter(**{f"{driver.time_field}__lt": cutoff})
                  .order_by("-pk").values_list("pk", flat=True).first())
    return newest_old if newest_old is not None else through_id


def entries_insert(rule, sources: QuerySet) -> int:
    """Write one entry per (user id, source id, at) row of ``sources`` whose user holds
    a grid worker's role; rows already awarded are skipped. Returns the number added."""
    workers = grid_workers_visible_to(_Platform())
    if connection.vendor != "postgresql":
        from django.utils import timezone

        allowed = set(workers.values_list("id", flat=True))
        batch = [PointEntry(rule=rule, user_id=user_id, source_id=source_id, points=rule.points, at=at,
                            month=timezone.localtime(at).date().replace(day=1))
                 for user_id, source_id, at in sources.iterator(chunk_size=5000) if user_id in allowed]
        with transaction.atomic():
            before = PointEntry.objects.filter(rule=rule).count()
            PointEntry.objects.bulk_create(batch, batch_size=5000, ignore_conflicts=True)
            return PointEntry.objects.filter(rule=rule).count() - before
    with connection.cursor() as cursor:
        cursor.execute(*_statement(rule, sources, workers))
        return cursor.rowcount


def _statement(rule, sources: QuerySet, workers: QuerySet) -> tuple[str, list]:
    select, params = _select(rule, sources, workers)
    return (f"INSERT INTO assessment_pointentry (rule_id, user_id, source_id, points, at, month) {select} "
            "ON CONFLICT (rule_id, source_id) DO NOTHING", params)


def _select(rule, sources: QuerySet, workers: QuerySet) -> tuple[str, list]:
    """The entries ``rule`` gives for ``sources`` (rows of user id, source id, time), as
    the ``SELECT`` of an insert."""
    sources_sql, sources_params = sources.query.sql_with_params()
    workers_sql, workers_params = workers.values("id").query.sql_with_params()
    return (
        f"""
        (SELECT %s, work.user_id, work.source_id, %s, work.at,
               date_trunc('month', work.at AT TIME ZONE %s)::date
        FROM ({sources_sql}) AS work (user_id, source_id, at)
        WHERE work.user_id IN ({workers_sql}))
        """,
        [rule.pk, rule.points, settings.TIME_ZONE, *sources_params, *workers_params],
    )


# The award as work is recorded runs the same statement for every new row of a table:
# it is composed once per set of rules and table (the ORM's composing cost more than
# running it) with a key no row has standing in for the row's, then run with the row's
# key; the rules of one row go in one statement (one round trip, one plan).
_ROW = -7_214_021
_ROW_SLOT = AsIs("__points_row_key__")
_ONE_ROW: dict = {}


def entries_insert_row(rules, model, pk: int) -> None:
    """``entries_insert`` for the one new row ``pk`` of ``model`` under each of ``rules``:
    pairs of (rule, ``sources_of``), where ``sources_of(rows)`` gives the rule's sources
    narrowed to a queryset of rows. On PostgreSQL the insert is held for the
    transaction's next statement (``governance.pipeline``): nothing reads the entries in
    the transaction that records the work."""
    rules = list(rules)
    if not rules:
        return
    if connection.vendor != "postgresql":
        _insert_each_in_full(rules, model, pk)
        return
    key = (model._meta.label, *((rule.pk, rule.points, rule.source) for rule, _sources_of in rules))
    compiled = _ONE_ROW.get(key)
    if compiled is None:
        workers = grid_workers_visible_to(_Platform())
        parts = [_select(rule, sources_of(model.objects.filter(pk=_ROW)), workers) for rule, sources_of in rules]
        sql = (f"INSERT INTO assessment_pointentry (rule_id, user_id, source_id, points, at, month) "
               f"{' UNION ALL '.join(part for part, _params in parts)} ON CONFLICT (rule_id, source_id) DO NOTHING")
        params = [value for _part, part_params in parts for value in part_params]
        slots = [index for index, value in enumerate(params) if value == _ROW]
        # Every other value written into the statement, so that the row's key is its only
        # parameter and PostgreSQL can prepare it (governance.serverprepared): planning
        # this statement took eight times as long as running it.
        with connection.cursor() as cursor:
            written = cursor.mogrify(sql, [_ROW_SLOT if index in slots else value for index, value in enumerate(params)])
        sql = written.decode().replace("%", "%%").replace(_ROW_SLOT.getquoted().decode(), "%s")
        compiled = _ONE_ROW[key] = (sql, len(slots))
    sql, slots = compiled
    if slots < len(rules):  # the row's key went in as something else: compose each in full
        _insert_each_in_full(rules, model, pk)
        return
    pipeline.hold(connection, sql, [pk] * slots)


def _insert_each_in_full(rules, model, pk: int) -> None:
    for rule, sources_of in rules:
        entries_insert(rule, sources_of(model.objects.filter(pk=pk)))


class _Platform:
    """The platform itself as a viewer: every grid worker."""

    is_authenticated = True
    is_active = True
    is_superuser = True
