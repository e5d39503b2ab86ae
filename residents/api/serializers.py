from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers import Ref
from residents.models import Building, ImportKind, KeyPlace, Resident, ResidentImport, Room
from residents.privacy import shown_values


class ResidentOutput(serializers.ModelSerializer):
    """A resident as the API shows it: ID and phone numbers masked, always, and as
    ``residents.privacy`` decides for the caller: without the right to reveal the ID
    number, the stricter ID mask and the birth year only (``birth_date`` is null)."""

    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    birth_date = serializers.SerializerMethodField()
    birth_year = serializers.SerializerMethodField()
    grid = serializers.CharField(source="grid.code")
    building = serializers.CharField(source="room.building.name", default=None, allow_null=True)
    unit = serializers.CharField(source="room.unit.name", default=None, allow_null=True)
    room = serializers.CharField(source="room.number", default=None, allow_null=True)
    household = serializers.CharField(source="household.number", default=None, allow_null=True)

    class Meta:
        model = Resident
        fields = ["id", "name", "gender", "birth_date", "birth_year", "id_number", "phone", "ethnicity", "residence_type",
                  "registered_address", "grid", "building", "unit", "room", "household", "relation_to_head",
                  "moved_in_on", "moved_out_on"]


    def _shown(self, resident) -> dict:
        cache = self.context.setdefault("_shown", {})
        if resident.pk not in cache:
            request = self.context.get("request")
            cache[resident.pk] = shown_values(request.user if request else None, grid_path=resident.grid.path,
                                              id_mask=resident.id_mask, phone_mask=resident.phone_mask,
                                              birth_date=resident.birth_date)
        return cache[resident.pk]

    def get_id_number(self, resident) -> str:
        return self._shown(resident)["id_number"]

    def get_phone(self, resident) -> str:
        return self._shown(resident)["phone"]

    def get_birth_date(self, resident) -> str | None:
        shown = self._shown(resident)
        return shown["birth"] if shown["full_view"] else None

    def get_birth_year(self, resident) -> int:
        return resident.birth_date.year


class RevealInput(serializers.Serializer):
    field = serializers.ChoiceField(choices=["id_number", "phone"])
    reason = serializers.CharField(max_length=200, trim_whitespace=True)


class RevealOutput(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class ImportInput(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV or .xlsx file"))
    kind = serializers.ChoiceField(choices=ImportKind.choices, default=ImportKind.RESIDENTS,
                                   help_text=_("what the file holds: residents or key places"))
    upgrade_ids = serializers.BooleanField(default=False)
    sheet = serializers.CharField(required=False, default="", allow_blank=True, max_length=100,
                                  help_text=_(".xlsx: the sheet to read (default: the first)"))


class ImportOutput(serializers.ModelSerializer):
    progress = serializers.IntegerField(source="progress_percent")
    error_report = serializers.SerializerMethodField()

    class Meta:
        model = ResidentImport
        fields = ["id", "original_name", "kind", "status", "message", "progress", "total_rows", "rows", "created", "updated",
                  "unchanged", "errors", "error_sample", "notes", "sheet", "error_report", "created_at", "finished_at"]

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
