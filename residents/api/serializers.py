from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers import Ref
from residents.models import Building, KeyPlace, Resident, ResidentImport, Room


class ResidentOutput(serializers.ModelSerializer):
    """A resident as the API shows it: ID and phone numbers masked, always."""

    id_number = serializers.CharField(source="id_mask")
    phone = serializers.CharField(source="phone_mask")
    grid = serializers.CharField(source="grid.code")
    building = serializers.CharField(source="room.building.name", default=None, allow_null=True)
    unit = serializers.CharField(source="room.unit.name", default=None, allow_null=True)
    room = serializers.CharField(source="room.number", default=None, allow_null=True)
    household = serializers.CharField(source="household.number", default=None, allow_null=True)

    class Meta:
        model = Resident
        fields = ["id", "name", "gender", "birth_date", "id_number", "phone", "ethnicity", "residence_type",
                  "registered_address", "grid", "building", "unit", "room", "household", "relation_to_head",
                  "moved_in_on", "moved_out_on"]


class RevealInput(serializers.Serializer):
    field = serializers.ChoiceField(choices=["id_number", "phone"])
    reason = serializers.CharField(max_length=200, trim_whitespace=True)


class RevealOutput(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


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


class BuildingOutput(serializers.ModelSerializer):
    grid = Ref()

    class Meta:
        model = Building
        fields = ["id", "grid", "name", "address", "lat", "lon", "floors", "leader_name", "leader_phone", "created_at"]


class HousingUnitOutput(serializers.ModelSerializer):
    building = serializers.IntegerField(source="building_id")
    building_name = serializers.CharField(source="building.name")
    unit = serializers.CharField(source="unit.name")
    grid = serializers.IntegerField(source="building.grid_id")

    class Meta:
        model = Room
        fields = ["id", "building", "building_name", "unit", "number", "use", "owner_name", "grid"]


class KeyPlaceOutput(serializers.ModelSerializer):
    grid = Ref()

    class Meta:
        model = KeyPlace
        fields = ["id", "grid", "name", "kind", "address", "lat", "lon", "contact_name", "contact_phone", "created_at"]
