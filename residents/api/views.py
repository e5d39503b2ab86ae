"""Residents API (``/api/v1/residents/``): scoped like the pages, masked always; a
resident or import outside the caller's scope answers 404."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.utils import translation
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from residents.api.serializers import ImportInput, ImportOutput, ResidentOutput, RevealInput
from residents.imports import resident_import_start
from residents.selectors import access_import, access_resident, residents_visible_to
from residents.services import resident_reveal


class ResidentCursor(CursorPagination):
    ordering = "id"
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"


class ResidentList(generics.ListAPIView):
    serializer_class = ResidentOutput
    pagination_class = ResidentCursor
    filter_backends = []

    def get_queryset(self):
        residents = residents_visible_to(self.request.user).select_related("grid", "room__building", "room__unit", "household")
        params = self.request.query_params
        if params.get("q"):
            residents = residents.filter(name__startswith=params["q"].strip())
        if params.get("grid"):
            residents = residents.filter(grid__code=params["grid"])
        if params.get("residence_type"):
            residents = residents.filter(residence_type=params["residence_type"])
        if params.get("current") == "1":
            residents = residents.filter(moved_out_on__isnull=True)
        return residents


class ResidentDetail(APIView):
    def get(self, request, resident_id):
        return Response(ResidentOutput(access_resident(request.user, resident_id)).data)


class ResidentReveal(APIView):
    """POST {"field": "id_number" | "phone", "reason": "…"} → the clear value, logged."""

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

    def post(self, request):
        payload = ImportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        job = resident_import_start(actor=request.user, upload=upload, name=upload.name,
                                    upgrade_ids=payload.validated_data["upgrade_ids"], language=translation.get_language())
        return Response(ImportOutput(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ImportDetail(APIView):
    def get(self, request, import_id):
        return Response(ImportOutput(access_import(request.user, import_id), context={"request": request}).data)


class ImportErrors(APIView):
    def get(self, request, import_id):
        job = access_import(request.user, import_id)
        if not job.error_file:
            raise Http404("No error report")
        return FileResponse(job.error_file.open("rb"), as_attachment=True, filename=f"import-{job.pk}-errors.xlsx")
