"""Assessment API (``/api/v1/assessment/``): the same figures as the pages, scoped by
``accounts.scoping``; authentication, errors and throttles come from the global DRF
defaults. A unit outside the caller's scope answers 404; a bad period 400."""

from datetime import date

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import access_area
from assessment import analytics
from assessment.api import schema
from assessment.api.serializers import EvaluationInput, HotspotTaskInput, RatioOutput, results_data, unit_data
from assessment.models import RatioDefinition, UnitKind
from assessment.periods import PeriodError, last_month, period_parse
from assessment.selectors import points_ranking, results_for, unit_access
from assessment.services import AssessmentError, evaluation_record, hotspot_task_create


def period_from(request):
    text = request.query_params.get("period")
    try:
        return period_parse(text) if text else last_month()
    except PeriodError as error:
        raise exceptions.ValidationError({"period": [str(error)]}) from None


def area_from(request):
    """The optional ``area`` (an id) to narrow analytics to: 404 if out of scope."""
    value = request.query_params.get("area")
    return access_area(request.user, value) if value else None


def kind_from(value) -> str:
    if value not in UnitKind.values:
        raise exceptions.ValidationError({"kind": [str(_kind_message())]})
    return value


def _kind_message():
    from django.utils.translation import gettext as _

    return _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(UnitKind.values)}


class RatioList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RatioOutput(many=True))
    def get(self, request):
        return Response(RatioOutput(RatioDefinition.objects.all(), many=True).data)


class ResultList(APIView):
    """GET ?kind=street&period=2026-10 → every visible unit ranked, with each ratio's
    numerator, denominator and rate."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="assessment_results_list", parameters=[schema.KIND, schema.PERIOD],
                   responses=schema.ResultsOut)
    def get(self, request):
        kind = kind_from(request.query_params.get("kind", UnitKind.STREET))
        period = period_from(request)
        units, ratios, formula, snapshot = results_for(user=request.user, kind=kind, period=period)
        return Response(results_data(units=units, ratios=ratios, formula=formula, period=period, kind=kind,
                                     snapshot=snapshot))


class ResultDetail(APIView):
    """GET /<kind>/<id>/?period=… → one unit's scorecard (404 outside the caller's scope)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="assessment_result_retrieve", parameters=[schema.PERIOD], responses=schema.ResultOut)
    def get(self, request, kind, unit_id):
        kind = kind_from(kind)
        unit_access(request.user, kind, unit_id)
        period = period_from(request)
        units, ratios, formula, snapshot = results_for(user=request.user, kind=kind, period=period)
        unit = next((unit for unit in units if unit.id == int(unit_id)), None)
        if unit is None:
            raise exceptions.NotFound()
        data = results_data(units=[], ratios=ratios, formula=formula, period=period, kind=kind, snapshot=snapshot)
        data.pop("units")
        data["unit"] = unit_data(unit, ratios)
        return Response(data)


class PointsRanking(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[schema.PERIOD], responses=schema.PointsOut)
    def get(self, request):
        period = period_from(request)
        return Response({"month": period.start.strftime("%Y-%m"),
                         "ranking": points_ranking(user=request.user, month=period.start.replace(day=1))})


class Problems(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[schema.PERIOD, schema.ORDER, schema.AREA], responses=schema.ProblemsOut)
    def get(self, request):
        period = period_from(request)
        order = request.query_params.get("order", "count")
        return Response({"period": period.label, "order": order,
                         "categories": analytics.problems(user=request.user, period=period, order=order,
                                                          area=area_from(request))})


class Trends(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[schema.PERIOD, schema.AREA], responses=schema.TrendsOut)
    def get(self, request):
        period = period_from(request)
        return Response({"period": period.label,
                         **analytics.trends(user=request.user, period=period, area=area_from(request))})


class Hotspots(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[schema.PERIOD, schema.RADIUS, schema.MINIMUM, schema.AREA], responses=schema.HotspotsOut)
    def get(self, request):
        period = period_from(request)
        try:
            radius = int(request.query_params.get("radius", 100))
            minimum = int(request.query_params.get("min", 3))
        except ValueError:
            raise exceptions.ValidationError({"radius": ["integer"]}) from None
        radius, minimum = min(max(radius, 10), 5000), max(minimum, 2)
        return Response({"period": period.label, "radius": radius, "min": minimum,
                         "hotspots": analytics.hotspots(user=request.user, period=period, radius_metres=radius,
                                                        min_events=minimum, area=area_from(request))})

    @extend_schema(operation_id="assessment_hotspot_task_create", request=HotspotTaskInput,
                   responses={201: schema.HotspotTaskOut})
    def post(self, request):
        payload = HotspotTaskInput(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            task = hotspot_task_create(actor=request.user, event_ids=payload.validated_data["events"],
                                       radius_metres=payload.validated_data["radius"],
                                       description=payload.validated_data.get("description", ""))
        except (AssessmentError, DjangoValidationError) as error:
            raise exceptions.ValidationError({"events": [str(getattr(error, "message", error))]}) from None
        return Response({"task": task.pk, "event": task.event_id, "code": task.event.code}, status=status.HTTP_201_CREATED)


class Evaluations(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=EvaluationInput, responses={201: schema.EvaluationOut})
    def post(self, request):
        payload = EvaluationInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        year, month = map(int, data["month"].split("-"))
        try:
            evaluation = evaluation_record(actor=request.user, evaluatee_id=data["evaluatee"], grid_id=data["grid"],
                                           month=date(year, month, 1), grade=data["grade"], comment=data.get("comment", ""))
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        except (DjangoValidationError, ValueError) as error:
            raise exceptions.ValidationError(getattr(error, "message_dict", {"month": [str(error)]})) from None
        return Response({"id": evaluation.pk, "grade": evaluation.grade}, status=status.HTTP_201_CREATED)
