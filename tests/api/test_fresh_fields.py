"""The input serializers of filing and transitions copy their declared fields cheaply
(api.serializers.FreshFields): they must validate exactly as DRF's deep copies do, and
no state may pass from one instance to the next."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers

from api.serializers import FreshFields
from events.api.serializers import EventInput, TransitionInput


def _plain(serializer_class):
    """The same serializer with DRF's own copies of the declared fields."""
    return type(f"Plain{serializer_class.__name__}", (serializers.Serializer,), {
        "get_fields": lambda self: serializers.Serializer.get_fields(self),
        **{name: field for name, field in serializer_class._declared_fields.items()},
        "validate_extra": getattr(serializer_class, "validate_extra", lambda self, value: value),
        "validate": serializer_class.validate,
    })


def _photo(name="a.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 16, content_type="image/png")


EVENT_INPUTS = [
    {"category": "0101", "description": "路面破损", "latitude": 28.1, "longitude": 112.9},
    {"category": "0101", "description": "路面破损", "latitude": 95, "longitude": 112.9, "urgency": "soon"},
    {"category": "", "description": "x" * 5000, "latitude": 28.1},
    {"category": "0101", "description": "d", "grid": "12x", "extra": [1], "channel": "resident"},
    {"category": "0101", "description": "d\x00", "resolved_on_site": "maybe", "photos": "notalist"},
    {"description": None, "reporter_contact": "1" * 500, "photos": [_photo(), _photo("b.png")]},
]
TRANSITION_INPUTS = [
    {"primary": 3, "assisting": [4, "5"]},
    {"primary": "x", "assisting": ["y"], "rating": "great", "amount": 0},
    {"unit": "fortnights", "amount": 10001, "reason": "r" * 2001},
    {"photos": [_photo()], "note": "好"},
]


@pytest.mark.parametrize(("serializer_class", "data"), [(EventInput, data) for data in EVENT_INPUTS]
                         + [(TransitionInput, data) for data in TRANSITION_INPUTS])
def test_validates_as_drf_own_copies_do(serializer_class, data):
    fresh, plain = serializer_class(data=data), _plain(serializer_class)(data=data)
    assert fresh.is_valid() == plain.is_valid()
    assert fresh.errors == plain.errors
    if not fresh.errors:
        assert fresh.validated_data == plain.validated_data


def test_no_field_is_shared_between_instances_and_the_declared_ones_stay_unbound():
    first, second = EventInput(data={}), EventInput(data={})
    first.is_valid(), second.is_valid()
    for name, declared in EventInput._declared_fields.items():
        assert first.fields[name] is not second.fields[name]
        assert declared is not first.fields[name] and declared is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
        assert declared.field_name is None and declared.parent is None
    photos = first.fields["photos"]
    assert photos.child is not EventInput._declared_fields["photos"].child
    assert photos.child.parent is photos and photos.child.root is first


def test_a_serializer_of_its_own_gets_fresh_fields_too():
    class Point(serializers.Serializer):
        x = serializers.IntegerField()

    class Input(FreshFields, serializers.Serializer):
        size = serializers.IntegerField(min_value=1)
        tags = serializers.ListField(child=serializers.CharField(max_length=3))
        point = Point(required=False)

    assert Input(data={"size": 0, "tags": ["abcd"]}).is_valid() is False
    valid = Input(data={"size": "2", "tags": ["ab"]})
    assert valid.is_valid(), valid.errors
    assert valid.validated_data == {"size": 2, "tags": ["ab"]}
    # A nested serializer is deep-copied (its own fields are bound below it).
    first, second = Input(data={"size": 1, "tags": [], "point": {"x": "3"}}), Input(data={"size": 1, "tags": [], "point": {"x": "y"}})
    assert first.is_valid() and not second.is_valid()
    assert first.validated_data["point"] == {"x": 3} and "point" in second.errors
    assert first.fields["point"].fields["x"].parent is first.fields["point"] is not second.fields["point"]
