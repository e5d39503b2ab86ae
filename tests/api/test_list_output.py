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
