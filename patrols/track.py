"""GPS track points of a round, sent by the phone in batches.

Points are stored as the phone gave them: a gap stays a gap, a poor fix keeps its
accuracy; nothing is interpolated. A point is identified by its round and its time, so
a batch sent twice (a lost answer, a replay from the offline queue) adds nothing.

The round's distance leaves out fixes worse than ``PATROL_TRACK_MAX_ACCURACY_M`` and
does not bridge gaps longer than ``PATROL_TRACK_GAP_SECONDS`` (the worker may have
walked anywhere in between)."""

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from patrols.models import PatrolRound, TrackPoint

MAX_BATCH = 2000
# How far the phone's clock may run ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)
EARTH_RADIUS_M = 6_371_008.8


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _time(value) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value / 1000, tz=UTC)  # epoch milliseconds (the browser's)
    elif isinstance(value, str):
        moment = parse_datetime(value)
    else:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _number(value, low, high):
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high and math.isfinite(number) else None


def points_check(*, round: PatrolRound, points) -> tuple[list[tuple], list[dict]]:
    """Split a batch into valid points ``(at, lat, lon, accuracy)`` and refusals
    ``{"index", "reason"}``; a bad point never costs the good ones."""
    if not isinstance(points, list):
        raise ValidationError({"points": _("Send the points as a list.")})
    if len(points) > MAX_BATCH:
        raise ValidationError({"points": _("At most %(count)d points per batch.") % {"count": MAX_BATCH}})
    latest = timezone.now() + CLOCK_SKEW
    if round.ended_at is not None:
        latest = min(latest, round.ended_at + timedelta(minutes=1))
    valid, refused, seen = [], [], set()
    for index, raw in enumerate(points):
        raw = raw if isinstance(raw, dict) else {}
        at = _time(raw.get("at"))
        lat, lon = _number(raw.get("lat"), -90, 90), _number(raw.get("lon"), -180, 180)
        accuracy = raw.get("accuracy")
        accuracy = None if accuracy in (None, "") else _number(accuracy, 0, 1_000_000)
        if at is None:
            refused.append({"index": index, "reason": _("The time is missing or not a time.")})
        elif lat is None or lon is None:
            refused.append({"index": index, "reason": _("The position is missing or out of range.")})
        elif raw.get("accuracy") not in (None, "") and accuracy is None:
            refused.append({"index": index, "reason": _("The accuracy must be a number of metres.")})
        elif at < round.started_at - timedelta(minutes=1) or at > latest:
            refused.append({"index": index, "reason": _("The time lies outside the round.")})
        elif at in seen:
            continue  # the same fix twice in one batch
        else:
            seen.add(at)
            valid.append((at, lat, lon, accuracy))
    return valid, refused


def _insert(round_id: int, points: list[tuple]) -> list[tuple]:
    """Insert the batch in **one** statement (a multi-row ``INSERT … ON CONFLICT DO
    NOTHING``: the idempotency check is the unique index, set-based), returning only the
    times of the new points; returns the new points as given (no model instances, no
    query per point, nothing parsed back from the database but the times)."""
    table = connection.ops.quote_name(TrackPoint._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    by_time = {}
    params = []
    for point in points:
        by_time[_instant(point[0])] = point
        params += (round_id, adapt(point[0]), point[1], point[2], point[3])
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(points))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (round_id, at, lat, lon, accuracy) VALUES {values} "
                       f"ON CONFLICT (round_id, at) DO NOTHING RETURNING at", params)
        times = [row[0] for row in cursor.fetchall()]
    if len(times) == len(points):
        return points
    return [by_time[_instant(at)] for at in times]


def _instant(value) -> datetime:
    """A moment as an aware datetime, which compares (and hashes) by instant: PostgreSQL
    hands back aware ones; SQLite the UTC text it stored, or a naive datetime of it."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=UTC) if timezone.is_naive(value) else value


def _good(point) -> bool:
    accuracy = point[3]
    return accuracy is None or accuracy <= settings.PATROL_TRACK_MAX_ACCURACY_M


def _walk(points, start=None) -> tuple[float, tuple | None]:
    """Distance along good points in time order, from ``start`` (the last good point
    counted before); returns (metres, last good point)."""
    gap = settings.PATROL_TRACK_GAP_SECONDS
    distance, previous = 0.0, start
    for point in sorted(points, key=lambda p: p[0]):
        if not _good(point):
            continue
        if previous is not None and (point[0] - previous[0]).total_seconds() <= gap:
            distance += metres_between(previous[1], previous[2], point[1], point[2])
        previous = point
    return distance, previous


def track_add(*, actor, round_id: int, points) -> dict:
    """Store a batch of points of the actor's round. Returns ``{"accepted", "duplicates",
    "refused": [{"index", "reason"}]}``.

    Four statements whatever the batch size: lock the round (its walker's only, so
    replays of one batch never race), one ``INSERT`` of the batch, one ``UPDATE`` of the
    round's counters with the distance walked from its last fix, and the commit."""
    with transaction.atomic():
        round = PatrolRound.objects.select_for_update().filter(pk=round_id, worker=actor).first()
        if round is None:
            raise ValidationError({"round": _("Only the worker who walks a round records its track.")})
        valid, refused = points_check(round=round, points=points)
        new = _insert(round.pk, valid) if valid else []
        if new:
            good_new = [p for p in new if _good(p)]
            last = (round.last_point_at, round.last_lat, round.last_lon, None) if round.last_point_at else None
            if last is None or all(p[0] > last[0] for p in good_new):
                added, last = _walk(good_new, last)
                round.distance_m += added
            else:  # an earlier batch arrived late: walk the whole track again
                every = list(TrackPoint.objects.filter(round=round).values_list("at", "lat", "lon", "accuracy"))
                round.distance_m, last = _walk(every)
            if last is not None:
                round.last_point_at, round.last_lat, round.last_lon = last[0], last[1], last[2]
            round.point_count += len(new)
            round.save(update_fields=["distance_m", "last_point_at", "last_lat", "last_lon", "point_count"])
    return {"accepted": len(new), "duplicates": len(valid) - len(new), "refused": refused}


def track_segments(round: PatrolRound) -> list[list[list[float]]]:
    """The track as ``[[lat, lon, accuracy, epoch ms], …]`` segments, split where a gap
    is longer than ``PATROL_TRACK_GAP_SECONDS`` (so the map draws no invented line)."""
    gap = settings.PATROL_TRACK_GAP_SECONDS
    segments, previous = [], None
    for at, lat, lon, accuracy in TrackPoint.objects.filter(round=round).order_by("at").values_list("at", "lat", "lon", "accuracy"):
        if previous is None or (at - previous).total_seconds() > gap:
            segments.append([])
        segments[-1].append([lat, lon, accuracy, int(at.timestamp() * 1000)])
        previous = at
    return segments
