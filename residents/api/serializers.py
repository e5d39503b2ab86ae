from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from residents.models import Resident, ResidentImport


class ResidentOutput(serializers.ModelSerializer):
    """A resident as the API shows it: ID and phone numbers masked, always."""

    id_number = serializers.CharField(source="id_mask")
    phone = serializers.CharField(source="phone_mask")
    grid = serializers.CharField(source="grid.code")
    building = serializers.CharField(source="room.building.name", default=None)
    unit = serializers.CharField(source="room.unit.name", default=None)
    room = serializers.CharField(source="room.number", default=None)
    household = serializers.CharField(source="household.number", default=None)

    class Meta:
        model = Resident
        fields = ["id", "name", "gender", "birth_date", "id_number", "phone", "ethnicity", "residence_type",
                  "registered_address", "grid", "building", "unit", "room", "household", "relation_to_head",
                  "moved_in_on", "moved_out_on"]


class RevealInput(serializers.Serializer):
    field = serializers.ChoiceField(choices=["id_number", "phone"])
    reason = serializers.CharField(max_length=200, trim_whitespace=True)


class ImportInput(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV or .xlsx file"))
    upgrade_ids = serializers.BooleanField(default=False)


class ImportOutput(serializers.ModelSerializer):
    progress = serializers.IntegerField(source="progress_percent")
    error_report = serializers.SerializerMethodField()

    class Meta:
        model = ResidentImport
        fields = ["id", "original_name", "status", "message", "progress", "total_rows", "rows", "created", "updated",
                  "unchanged", "errors", "error_sample", "error_report", "created_at", "finished_at"]

    def get_error_report(self, job) -> str | None:
        if not job.error_file:
            return None
        request = self.context.get("request")
        url = f"/api/v1/residents/imports/{job.pk}/errors/"
        return request.build_absolute_uri(url) if request else url
