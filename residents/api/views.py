"""Residents API (``/api/v1/residents/``): scoped like the pages, masked always; a
resident or import outside the caller's scope answers 404."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import IdCursor
from residents.api.serializers import (
    BuildingOutput,
    HousingUnitOutput,
    ImportInput,
    ImportOutput,
    KeyPlaceOutput,
    ResidentOutput,
    RevealInput,
    RevealOutput,
)
from residents.imports import resident_import_start
from residents.models import Building, KeyPlace, PlaceKind, Room, RoomUse
from residents.selectors import (
    access_building,
    access_import,
    access_key_place,
    access_resident,
    access_room,
    buildings_visible_to,
    key_places_visible_to,
    residents_visible_to,
    rooms_visible_to,
)
from residents.services import SearchBudgetExceeded, import_file_download, resident_reveal, residents_filter_query


class ResidentList(generics.ListAPIView):
    serializer_class = ResidentOutput
    pagination_class = IdCursor
    filter_backends = []

    def get_queryset(self):
        residents = residents_visible_to(self.request.user).select_related("grid", "room__building", "room__unit", "household")
        params = self.request.query_params
        if params.get("q", "").strip():
            # An exact ID/phone search is charged to the user's budget and logged (issue 13).
            try:
                residents = residents_filter_query(actor=self.request.user, residents=residents, query=params["q"])
            except SearchBudgetExceeded as error:
                raise exceptions.Throttled(detail=str(error)) from None
        if params.get("grid"):
            residents = residents.filter(grid__code=params["grid"])
        if params.get("residence_type"):
            residents = residents.filter(residence_type=params["residence_type"])
        if params.get("current") == "1":
            residents = residents.filter(moved_out_on__isnull=True)
        return residents


class ResidentDetail(APIView):
    @extend_schema(responses=ResidentOutput)
    def get(self, request, resident_id):
        return Response(ResidentOutput(access_resident(request.user, resident_id), context={"request": request}).data)


class ResidentReveal(APIView):
    """POST {"field": "id_number" | "phone", "reason": "…"} → the clear value, logged."""

    @extend_schema(request=RevealInput, responses=RevealOutput)
    def post(self, request, resident_id):
        resident = access_resident(request.user, resident_id)
        payload = RevealInput(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            value = resident_reveal(actor=request.user, resident=resident, **payload.validated_data)
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        response = Response({"field": payload.validated_data["field"], "value": value})
        response["Cache-Control"] = "no-store"
        return response


class ImportCreate(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ImportInput, responses={201: ImportOutput})
    def post(self, request):
        payload = ImportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        try:
            job = resident_import_start(actor=request.user, upload=upload, name=upload.name,
                                        upgrade_ids=payload.validated_data["upgrade_ids"], sheet=payload.validated_data["sheet"],
                                        language=translation.get_language(), kind=payload.validated_data["kind"])
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        return Response(ImportOutput(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ImportDetail(APIView):
    @extend_schema(responses=ImportOutput)
    def get(self, request, import_id):
        return Response(ImportOutput(access_import(request.user, import_id), context={"request": request}).data)


class ImportErrors(APIView):
    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY})
    def get(self, request, import_id):
        job = access_import(request.user, import_id)
        handle = import_file_download(actor=request.user, job=job)
        if handle is None:
            raise Http404("No error report")
        response = FileResponse(handle, as_attachment=True, filename=f"import-{job.pk}-errors.xlsx")
        response["Cache-Control"] = "no-store"
        return response


class BuildingFilter(django_filters.FilterSet):
    grid = django_filters.NumberFilter(field_name="grid_id")
    name = django_filters.CharFilter(lookup_expr="startswith")

    class Meta:
        model = Building
        fields = ["grid", "name"]


class BuildingViewSet(viewsets.ReadOnlyModelViewSet):
    """Buildings in the user's grids."""

    serializer_class = BuildingOutput
    filterset_class = BuildingFilter
    pagination_class = IdCursor

    def get_queryset(self):
        return buildings_visible_to(self.request.user).select_related("grid")

    def get_object(self):
        return access_building(self.request.user, self.kwargs["pk"])


class HousingUnitFilter(django_filters.FilterSet):
    building = django_filters.NumberFilter(field_name="building_id")
    use = django_filters.ChoiceFilter(choices=RoomUse.choices)

    class Meta:
        model = Room
        fields = ["building", "use"]


class HousingUnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Housing units (rooms, 房屋) in the user's grids, with their use and owner."""

    serializer_class = HousingUnitOutput
    filterset_class = HousingUnitFilter
    pagination_class = IdCursor

    def get_queryset(self):
        return rooms_visible_to(self.request.user).select_related("building", "unit")

    def get_object(self):
        return access_room(self.request.user, self.kwargs["pk"])


class KeyPlaceFilter(django_filters.FilterSet):
    grid = django_filters.NumberFilter(field_name="grid_id")
    kind = django_filters.ChoiceFilter(choices=PlaceKind.choices)

    class Meta:
        model = KeyPlace
        fields = ["grid", "kind"]


class KeyPlaceViewSet(viewsets.ReadOnlyModelViewSet):
    """Key places (重点场所) in the user's grids."""

    serializer_class = KeyPlaceOutput
    filterset_class = KeyPlaceFilter
    pagination_class = IdCursor

    def get_queryset(self):
        return key_places_visible_to(self.request.user).select_related("grid")

    def get_object(self):
        return access_key_place(self.request.user, self.kwargs["pk"])
