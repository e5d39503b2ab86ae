"""A bare DRF create endpoint: one serializer, one INSERT. Same middleware, token
authentication and rate-limit classes as the platform's API (the global defaults)."""

from rest_framework import generics, serializers

from bench.benchbare.models import Note


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "text"]


class NoteCreate(generics.CreateAPIView):
    serializer_class = NoteSerializer
    queryset = Note.objects.all()
