"""Generated events for benchmarks and load tests (``generate_city --events N``).

Events spread over a year (older ones mostly finished), over the small classes, the
grids of a generated or real city, and every state, each with the timeline of the path
that led to its state and the timers of its stages (stopped ones with their on-time
result, running ones due on the work calendar), and for a dispatched one its department's
read grant (as ``dispatch`` writes it). Rows go in with PostgreSQL ``COPY``
(``executemany`` on SQLite), 20,000 events at a time: a million events took 68 min on the
shared 2-core machine at load ≈ 10 (issue 20; 371 s of it this process's CPU, the rest
PostgreSQL: COPY, index upkeep, and the deferred foreign-key checks at commit).
"""

import csv
import io
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Department, Role, RoleAssignment
from events.models import Category, EventSequence, State
from grids.models import GRID_LEVELS, Area, AreaLevel
from workflow.calendar import worktime
from workflow.models import SLALimit, TimerPhase
from workflow.timers import next_check

# The path every state is reached by: (transition, state after it, stage it stops, stage it starts).
PATH = [
    ("accept", State.ACCEPTED, "accept", "dispatch"),
    ("dispatch", State.DISPATCHED, "dispatch", "sign"),
    ("sign", State.HANDLING, "sign", "handle"),
    ("feedback", State.HANDLED, "handle", "verify"),
    ("verify_pass", State.VERIFIED, "verify", None),
    ("assess", State.CLOSED, "total", None),
    ("archive", State.ARCHIVED, None, None),
]
DEPTH = {State.REPORTED: 0, **{state: index + 1 for index, (_name, state, _stop, _start) in enumerate(PATH)}}
# Shares of states among events older than a month and among recent ones.
OLD_STATES = [(State.ARCHIVED, 60), (State.CLOSED, 28), (State.REJECTED, 6), (State.MERGED, 3), (State.HANDLING, 2),
              (State.DISPATCHED, 1)]
RECENT_STATES = [(State.REPORTED, 10), (State.ACCEPTED, 6), (State.DISPATCHED, 10), (State.HANDLING, 24),
                 (State.HANDLED, 10), (State.VERIFIED, 8), (State.CLOSED, 20), (State.REJECTED, 6), (State.MERGED, 2),
                 (State.ARCHIVED, 4)]
OPEN = [(State.REPORTED, 10), (State.ACCEPTED, 8), (State.DISPATCHED, 12), (State.HANDLING, 45), (State.HANDLED, 15),
        (State.VERIFIED, 10)]
# Rough wall-clock length of the units, for the stopped (historical) timers.
UNIT_SECONDS = {"minutes": 60, "work_hours": 3 * 3600, "work_days": 36 * 3600, "days": 86400}
RATINGS = ["satisfied"] * 80 + ["basically_satisfied"] * 15 + ["dissatisfied"] * 5
BATCH = 20_000
# Shares of events that had a postponement approved, failed verification once (返工),
# or are suspended (挂起) now, so assessment ratios see every case.
POSTPONE_SHARE = 0.05
REWORK_SHARE = 0.06
SUSPEND_SHARE = 0.03

EVENT_COLUMNS = (
    "id", "code", "channel", "reporter_id", "reporter_name", "reporter_contact", "grid_id", "command_area_id", "address",
    "latitude", "longitude", "category_id", "urgency", "description", "extra", "state", "is_onsite", "is_suspended",
    "is_supervised", "supervise_count", "rework_count", "postpone_count", "return_count", "escalation_level",
    "was_overdue", "light", "due_at", "primary_department_id", "handler_id", "result", "closure_type", "rating",
    "rating_comment", "evaluation", "reported_at", "accepted_at", "dispatched_at", "signed_at", "handled_at",
    "verified_at", "rated_at", "closed_at", "archived_at", "updated_at",
)
TIMER_COLUMNS = ("event_id", "stage", "state", "phase", "amount", "unit", "started_at", "warn_at", "due_at",
                 "escalate_at", "next_check_at", "paused_at", "stopped_at", "breached")
TIMELINE_COLUMNS = ("event_id", "at", "actor_id", "actor_kind", "transition", "from_state", "to_state", "note", "data")
# The primary department's group may read a dispatched event (the grant dispatch writes).
GRANT_COLUMNS = ("permission_id", "group_id", "content_object_id", "reported_at")


@dataclass
class GeneratedEvents:
    events: int
    timers: int
    timeline: int
    seconds: float


def _write(table: str, columns, rows) -> None:
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for row in rows:
                writer.writerow(["\\N" if value is None else value for value in row])
            buffer.seek(0)
            cursor.cursor.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
            )
        else:
            adapt = connection.ops.adapt_datetimefield_value
            rows = [[adapt(value) if hasattr(value, "tzinfo") and hasattr(value, "hour") else value for value in row]
                    for row in rows]
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)


def _weighted(rng, table):
    return rng.choices([state for state, _weight in table], weights=[weight for _state, weight in table])[0]


def _sequences_read() -> dict:
    """The last number used per day: the counter rows, and the codes already written (on
    PostgreSQL filings number from a sequence per day, which the counter rows never see)."""
    sequences = dict(EventSequence.objects.values_list("day", "last"))
    with connection.cursor() as cursor:
        # Per length too: past 999999 the numbers grow a digit, and as text "-999999"
        # sorts after "-1000000"; within one length the text's order is the number's.
        cursor.execute("SELECT substr(code, 1, 8), max(code) FROM events_event GROUP BY substr(code, 1, 8), length(code)")
        for prefix, highest in cursor.fetchall():
            try:
                day = date.fromisoformat(prefix)
            except ValueError:
                continue
            sequences[day] = max(sequences.get(day, 0), int(highest.rpartition("-")[2]))
    return sequences


def _sequences_write(sequences: dict) -> None:
    """Keep the counter rows and, on PostgreSQL, the days' sequences that exist past the
    numbers just generated, so that the next filing of such a day gets a fresh code."""
    for day, last in sequences.items():
        EventSequence.objects.update_or_create(day=day, defaults={"last": last})
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %s", ["event_code_%"])
        existing = {name for (name,) in cursor.fetchall()}
        for day, last in sequences.items():
            name = f"event_code_{day:%Y%m%d}"
            if name in existing:
                cursor.execute("SELECT setval(%s, GREATEST(%s, (SELECT last_value FROM " + name + ")))", [name, last])


class _Context:
    """Everything looked up once: grids, their streets, staff, departments, limits."""

    def __init__(self, city: Area):
        grids = Area.objects.filter(path__startswith=city.path, level__in=GRID_LEVELS)
        self.grids = list(grids.values_list("id", "path", "label_lat", "label_lon", "name"))
        if not self.grids:
            raise ValueError("the city has no grids")
        streets = dict(Area.objects.filter(path__startswith=city.path, level=AreaLevel.STREET).values_list("path", "id"))
        self.street_of = {grid_id: streets.get(path[: len(path) - 2 * Area.steplen]) for grid_id, path, *_rest in self.grids}
        self.workers = dict(RoleAssignment.objects.filter(revoked_at__isnull=True, role=Role.GRID_WORKER,
                                                          area__path__startswith=city.path).values_list("area_id", "user_id"))
        self.dispatchers = dict(RoleAssignment.objects.filter(revoked_at__isnull=True, role=Role.DISPATCHER,
                                                              area__path__startswith=city.path).values_list("area_id", "user_id"))
        self.departments: dict = {}
        self.department_groups: dict = {}
        for department_id, kind, area_id, group_id in Department.objects.filter(area__path__startswith=city.path).values_list(
                "id", "kind", "area_id", "group_id"):
            self.departments.setdefault((kind, area_id), department_id)
            self.department_groups[department_id] = group_id
        self.view_event = Permission.objects.get(content_type__app_label="events", codename="view_event").pk
        self.categories = list(Category.objects.filter(parent__isnull=False, is_active=True).values_list(
            "id", "default_department_kind", "name"))
        self.limits: dict = {}
        for category_id, stage, amount, unit in SLALimit.objects.filter(policy__urgency="normal").values_list(
                "policy__category_id", "stage", "amount", "unit"):
            self.limits.setdefault(category_id, {})[stage] = (amount, unit)
        self._grids = {row[0]: row for row in self.grids}
        self._categories = {row[0]: row for row in self.categories}
        self.district_of = {}
        districts = dict(Area.objects.filter(path__startswith=city.path, level=AreaLevel.DISTRICT).values_list("path", "id"))
        for grid_id, path, *_rest in self.grids:
            self.district_of[grid_id] = districts.get(path[: len(path) - 3 * Area.steplen])

    def grid_of(self, grid_id):
        return self._grids[grid_id]

    def category_of(self, category_id):
        return self._categories[category_id]


def events_generate(*, city: Area, count: int, seed: int = 1, days: int = 365, open_only: bool = False,
                    now=None, until=None) -> GeneratedEvents:
    """Write ``count`` events in ``city`` (with ``open_only`` every one is still open).

    Events are reported over the ``days`` before ``until`` (default: now); how far each
    got through the workflow depends on its age at ``now``. ``until`` in the past puts a
    whole period's events (e.g. one month, for the assessment benchmark) behind us."""
    started = time.monotonic()
    rng = random.Random(seed)
    now = now or timezone.now()
    until = min(until or now, now)
    context = _Context(city)
    calendar = worktime()
    sequences = _sequences_read()
    totals = {"events": 0, "timers": 0, "timeline": 0}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE events_event IN EXCLUSIVE MODE")
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM events_event")
                next_id = cursor.fetchone()[0] + 1
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM events_event")
                next_id = cursor.fetchone()[0] + 1
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            events, timers, timeline, grants = [], [], [], []
            for _ in range(size):
                _one(rng, context, calendar, now, until, days, open_only, next_id, sequences, events, timers, timeline, grants)
                next_id += 1
            _write("events_event", EVENT_COLUMNS, events)
            _write("workflow_timer", TIMER_COLUMNS, timers)
            _write("workflow_timelineentry", TIMELINE_COLUMNS, timeline)
            _write("events_eventgroupobjectpermission", GRANT_COLUMNS, grants)
            totals["events"] += len(events)
            totals["timers"] += len(timers)
            totals["timeline"] += len(timeline)
            done += size
        _sequences_write(sequences)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(pg_get_serial_sequence('events_event', 'id'), %s)", [next_id - 1])
    return GeneratedEvents(totals["events"], totals["timers"], totals["timeline"], time.monotonic() - started)


def events_generate_at(*, city: Area, reports: list[dict], seed: int = 1, now=None) -> list[int]:
    """Events at given grids, times, small classes and places (the findings of generated
    patrol rounds, ``generate_city --patrols``), each taken through the workflow as far as
    its age makes likely (some rejected or merged), like ``events_generate``'s. A report:
    ``{"grid_id", "reported_at", "category_id", "latitude"?, "longitude"?, "channel"?,
    "reporter_id"?}``. Returns the new events' ids, in the order of ``reports``."""
    rng = random.Random(seed)
    now = now or timezone.now()
    context = _Context(city)
    calendar = worktime()
    sequences = _sequences_read()
    ids = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("LOCK TABLE events_event IN EXCLUSIVE MODE")
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM events_event")
            next_id = cursor.fetchone()[0] + 1
        for offset in range(0, len(reports), BATCH):
            events, timers, timeline, grants = [], [], [], []
            for given in reports[offset:offset + BATCH]:
                _one(rng, context, calendar, now, now, 0, False, next_id, sequences, events, timers, timeline, grants,
                     given=given)
                ids.append(next_id)
                next_id += 1
            _write("events_event", EVENT_COLUMNS, events)
            _write("workflow_timer", TIMER_COLUMNS, timers)
            _write("workflow_timelineentry", TIMELINE_COLUMNS, timeline)
            _write("events_eventgroupobjectpermission", GRANT_COLUMNS, grants)
        _sequences_write(sequences)
        if connection.vendor == "postgresql" and ids:
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(pg_get_serial_sequence('events_event', 'id'), %s)", [next_id - 1])
    return ids


def _one(rng, context, calendar, now, until, days, open_only, event_id, sequences, events, timers, timeline, grants,
         given=None):
    if given is None:
        grid_id, _path, lat, lon, grid_name = rng.choice(context.grids)
        category_id, kind, category_name = rng.choice(context.categories)
    else:  # a report at a given place, time and small class (events_generate_at)
        grid_id, _path, lat, lon, grid_name = context.grid_of(given["grid_id"])
        category_id, kind, category_name = context.category_of(given["category_id"])
    limits = context.limits.get(category_id, {})
    if given is not None:
        reported = given["reported_at"]
        state = _weighted(rng, OLD_STATES if now - reported > timedelta(days=30) else RECENT_STATES)
    elif open_only:
        reported = now - timedelta(seconds=rng.uniform(0, 20 * 86400))
        state = _weighted(rng, OPEN)
    else:
        reported = until - timedelta(seconds=rng.uniform(0, days * 86400))
        state = _weighted(rng, OLD_STATES if now - reported > timedelta(days=30) else RECENT_STATES)
    day = timezone.localdate(reported)
    sequences[day] = sequences.get(day, 0) + 1
    code = f"{day:%Y%m%d}-{sequences[day]:06d}"
    street = context.street_of.get(grid_id) or grid_id
    worker = context.workers.get(grid_id)
    dispatcher = context.dispatchers.get(street)
    department = context.departments.get((kind, street)) or context.departments.get((kind, context.district_of.get(grid_id)))
    latitude = round((lat or 27.7) + rng.uniform(-0.0012, 0.0012), 6)
    longitude = round((lon or 112.0) + rng.uniform(-0.0012, 0.0012), 6)
    channel = "grid_worker" if worker else "resident"
    if given is not None:
        latitude, longitude = given.get("latitude") or latitude, given.get("longitude") or longitude
        channel, worker = given.get("channel", channel), given.get("reporter_id", worker)
    stamps = {"reported_at": reported}
    moment = reported
    was_overdue = False
    rework = postponed = 0
    suspended = False
    entries = [(event_id, reported, worker, "user" if worker else "reporter", "report", "", State.REPORTED)]
    live = []  # (stage, start)

    def stopped_timer(stage, start, end):
        amount, unit = limits.get(stage, (1, "days"))
        due = start + timedelta(seconds=amount * UNIT_SECONDS[unit])
        breached = end > due
        span = (due - start).total_seconds()
        timers.append((event_id, stage, "stopped", TimerPhase.RED if breached else TimerPhase.GREEN, amount, unit, start,
                       start + timedelta(seconds=span * 0.8), due, due + timedelta(seconds=span * 0.5), None, None, end,
                       breached))
        return breached

    target_depth = DEPTH.get(state, 0)
    final = state in (State.REJECTED, State.MERGED)
    stage_start = reported
    if final:
        end = reported + timedelta(minutes=rng.uniform(3, 40))
        stopped_timer("accept", reported, end)
        entries.append((event_id, end, dispatcher, "user" if dispatcher else "system",
                        "reject" if state == State.REJECTED else "merge", State.REPORTED, state))
        stamps["closed_at"] = end
        timers.append(_total(event_id, limits, reported, end, "stopped"))
    else:
        current = State.REPORTED
        for name, reached, stops, _starts in PATH[:target_depth]:
            amount, unit = limits.get(stops or "accept", (30, "minutes"))
            late = rng.random() < 0.12
            share = rng.uniform(1.05, 1.6) if late else rng.uniform(0.1, 0.9)
            moment = stage_start + timedelta(seconds=amount * UNIT_SECONDS[unit] * share)
            if moment > now:
                moment = now - timedelta(seconds=rng.uniform(1, 600))
            if stops and stops != "total":
                was_overdue |= stopped_timer(stops, stage_start, moment)
            if name == "assess":
                timers.append(_total(event_id, limits, reported, moment, "stopped"))
            actor = {"accept": dispatcher, "dispatch": dispatcher, "verify_pass": worker, "archive": dispatcher}.get(name)
            entries.append((event_id, moment, actor, "user" if actor else ("reporter" if name == "assess" else "system"),
                            name, current, reached))
            stamps[{"accept": "accepted_at", "dispatch": "dispatched_at", "sign": "signed_at", "feedback": "handled_at",
                    "verify_pass": "verified_at", "assess": "closed_at", "archive": "archived_at"}[name]] = moment
            current = reached
            stage_start = moment
            if name == "sign" and rng.random() < POSTPONE_SHARE:
                # The department asked for more time and the command center approved.
                postponed += 1
                entries.append((event_id, moment + timedelta(minutes=5), None, "system", "request_postponement",
                                State.HANDLING, State.HANDLING))
                entries.append((event_id, moment + timedelta(minutes=30), dispatcher, "user" if dispatcher else "system",
                                "approve_postponement", State.HANDLING, State.HANDLING))
            if name == "feedback" and target_depth > DEPTH[State.HANDLED] and rng.random() < REWORK_SHARE \
                    and moment + timedelta(hours=22) < now:
                # Verification failed once (返工): back to the department, handled again.
                rework += 1
                failed = moment + timedelta(hours=rng.uniform(0.2, 1.5))
                stopped_timer("verify", moment, failed)
                redone = failed + timedelta(hours=rng.uniform(1, 20))
                was_overdue |= stopped_timer("handle", failed, redone)
                entries.append((event_id, failed, worker, "user" if worker else "system", "verify_fail", State.HANDLED,
                                State.HANDLING))
                entries.append((event_id, redone, None, "system", "feedback", State.HANDLING, State.HANDLED))
                moment = stage_start = stamps["handled_at"] = redone
        suspended = state in (State.ACCEPTED, State.DISPATCHED, State.HANDLING) and rng.random() < SUSPEND_SHARE
        if suspended:
            entries.append((event_id, stage_start + timedelta(minutes=10), dispatcher, "user" if dispatcher else "system",
                            "approve_suspension", state, state))
        next_stage = {State.REPORTED: "accept", State.ACCEPTED: "dispatch", State.DISPATCHED: "sign",
                      State.HANDLING: "handle", State.HANDLED: "verify"}.get(state)
        if next_stage:
            live.append((next_stage, stage_start))
        if state not in (State.CLOSED, State.ARCHIVED):
            live.append(("total", reported))
    light, due_at = "green", None
    for stage, start in live:
        amount, unit = limits.get(stage, (1, "days"))
        due = calendar.add(start, amount, unit)
        span = calendar.measure(start, due, unit)
        warn = calendar.advance(start, span * 0.8, unit)
        escalate = calendar.advance(due, span * 0.5, unit)
        phase = 3 if now >= escalate else 2 if now >= due else 1 if now >= warn else 0
        phase = min(phase, 2)  # generated history never escalated; the sweep escalates what is due
        was_overdue |= phase >= 2

        probe = SimpleNamespace(phase=phase, warn_at=warn, due_at=due, escalate_at=escalate)
        if suspended:
            # An approved suspension pauses every live timer (no checks until resumed).
            timers.append((event_id, stage, "paused", phase, amount, unit, start, warn, due, escalate, None,
                           stage_start + timedelta(minutes=10), None, phase >= 2))
        else:
            timers.append((event_id, stage, "running", phase, amount, unit, start, warn, due, escalate,
                           next_check(probe), None, None, phase >= 2))
        light = max(light, {0: "green", 1: "yellow", 2: "red"}[phase], key=["green", "yellow", "red"].index)
        if stage != "total":
            due_at = due
    closed = state in (State.CLOSED, State.ARCHIVED)
    rating = rng.choice(RATINGS) if closed else ""
    handled = DEPTH.get(state, 0) >= DEPTH[State.HANDLED] and not final
    assigned = department if DEPTH.get(state, 0) >= DEPTH[State.DISPATCHED] and not final else None
    if assigned is not None and context.department_groups.get(assigned):
        grants.append((context.view_event, context.department_groups[assigned], event_id, reported))
    events.append((
        event_id, code, channel, worker, "", "", grid_id, street, f"{grid_name}附近",
        latitude, longitude, category_id, "normal", f"{category_name}（生成数据）", "{}", state, False, suspended, False, 0,
        rework, postponed, 0, 0, was_overdue, light if not closed and not final else "green", due_at,
        assigned, None,
        "已按标准处置" if handled else "", ("overdue" if was_overdue else "normal") if closed else "", rating, "", "",
        stamps["reported_at"], stamps.get("accepted_at"), stamps.get("dispatched_at"), stamps.get("signed_at"),
        stamps.get("handled_at"), stamps.get("verified_at"), stamps.get("closed_at") if rating else None,
        stamps.get("closed_at"), stamps.get("archived_at"), now,
    ))
    for entry in entries:
        timeline.append((*entry, "", "{}"))


def _total(event_id, limits, start, end, state):
    amount, unit = limits.get("total", (5, "work_days"))
    due = start + timedelta(seconds=amount * UNIT_SECONDS[unit])
    span = (due - start).total_seconds()
    breached = end > due
    return (event_id, "total", state, TimerPhase.RED if breached else TimerPhase.GREEN, amount, unit, start,
            start + timedelta(seconds=span * 0.8), due, due + timedelta(seconds=span * 0.5), None, None, end, breached)
