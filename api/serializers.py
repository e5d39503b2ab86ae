"""Small output serializers shared by the apps' APIs."""

from rest_framework import serializers


class Ref(serializers.Serializer):
    """A reference to an area, grid or category: id, code and name."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
