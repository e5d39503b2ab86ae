"""Small serializers and helpers shared by the apps' APIs."""

import copy

from rest_framework import relations, serializers


def field_fresh(field: serializers.Field) -> serializers.Field:
    """A new, unbound copy of a declared field: a shallow copy (what the field was
    declared with, its validators and choices, shared and never changed), and a list's
    child copied and given the copy as its parent. DRF's own copy makes each field again from
    deep copies of its arguments for every serializer instance, which was most of
    validating a filing's input (0.25 of 0.34 ms). A nested serializer or a many-related
    field (state bound below it) gets DRF's deep copy."""
    if isinstance(field, serializers.BaseSerializer | relations.ManyRelatedField):
        return copy.deepcopy(field)
    fresh = object.__new__(type(field))
    fresh.__dict__.update(field.__dict__)
    child = getattr(field, "child", None)
    if isinstance(child, serializers.Field):
        fresh.child = field_fresh(child)
        fresh.child.parent = fresh  # (bound, with its name and source, when the list was declared)
    return fresh


class FreshFields:
    """For input serializers of hot write paths (filing, transitions): each instance's
    fields made with ``field_fresh`` instead of deep copies of the declared ones."""

    def get_fields(self):
        return {name: field_fresh(field) for name, field in self._declared_fields.items()}


class Ref(serializers.Serializer):
    """A reference to an area, grid or category: id, code and name."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
