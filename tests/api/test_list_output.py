"""The event list's rows are built directly (``EventOutput.to_representation``, for
speed); they are exactly what the serializer's declared fields give."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from events.api.serializers import EventOutput
from events.models import Event

pytestmark = pytest.mark.django_db


def test_list_rows_equal_the_declared_fields(cast, departments, file, walk):
    reported = file()
    duplicate = file(description="同一处的垃圾")  # a duplicate hint of the first
    walk(file(description="派出去的"), "dispatched")
    walk(file(description="结案的"), "closed")
    assert duplicate.duplicate_of_id == reported.pk
    request = APIRequestFactory().get("/api/v1/events/")
    request.user = cast["dispatcher"]
    events = list(Event.objects.select_related("category", "grid", "primary_department").order_by("pk"))
    fast = EventOutput(events, many=True, context={"request": request}).data
    declared = [serializers.ModelSerializer.to_representation(EventOutput(context={"request": request}), event)
                for event in events]
    assert [dict(row) for row in fast] == [dict(row) for row in declared]
    assert [list(row) for row in fast] == [list(row) for row in declared]  # the same keys in the same order
    assert any(row["primary_department"] for row in fast) and any(row["closed_at"] for row in fast)
    assert any(row["duplicate_of"] == reported.pk for row in fast)


@pytest.mark.parametrize("active", ["Asia/Shanghai", "UTC", "America/St_Johns", "Asia/Kathmandu"])
def test_a_moment_reads_as_drf_writes_it_in_every_zone(active):
    """``_moment`` looks the zone up once per list; it gives what DRF's field gives."""
    import datetime
    import zoneinfo

    from django.utils import timezone

    from events.api.serializers import _moment

    field = serializers.DateTimeField()
    moments = [
        datetime.datetime(2026, 12, 7, 6, 30, 15, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 29, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
        datetime.datetime(2026, 7, 1, 23, 59, 59, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
        datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 1, 1, 8, 0),  # naive  # noqa: DTZ001
        None,
    ]
    with timezone.override(zoneinfo.ZoneInfo(active)):
        zone = timezone.get_current_timezone()
        for moment in moments:
            try:
                expected = field.to_representation(moment) if moment else None
            except serializers.ValidationError:  # (out of range in this zone: both refuse it)
                with pytest.raises(serializers.ValidationError):
                    _moment(moment, zone)
                continue
            assert _moment(moment, zone) == expected, moment
    assert _moment(moments[0], zoneinfo.ZoneInfo("UTC")).endswith("Z")
