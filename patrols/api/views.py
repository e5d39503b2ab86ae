"""Patrols API (``/api/v1/patrols/``): the checklist, plans, rounds with their track
points (in batches), item checks and findings, coverage. Scoped like the pages: a round
outside the caller's scope answers 404; writes on a round are the walking worker's.

Thin: reads come from selectors, writes from services; every write from the phone
carries an idempotency key (``key``), so a replay returns the first answer."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import access_area
from api.pagination import Cursor
from patrols import selectors
from patrols.api import schema
from patrols.api.serializers import (
    CheckInput,
    CheckOutput,
    FindingInput,
    FindingOutput,
    ItemOutput,
    RoundEndInput,
    RoundOutput,
    RoundStartInput,
    TrackInput,
)
from patrols.plans import grid_plan, plans_as_data, worker_plan
from patrols.services import check_record, finding_file, round_end, round_start
from patrols.track import track_add


def _day(text, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({"day": ["YYYY-MM-DD"]}) from None


class CatalogueView(APIView):
    """The checklist: classes with the current version of each item."""

    @extend_schema(responses=schema.ClassOut(many=True))
    def get(self, request):
        classes = selectors.catalogue()
        return Response([{"code": c.code, "name": c.name, "name_en": c.name_en,
                          "items": ItemOutput([item.current for item in c.items.all()], many=True).data} for c in classes])


class PlanView(APIView):
    """What is due and overdue on a day (``?day=``): for the caller's grids, or for one
    grid in scope (``?grid=``)."""

    @extend_schema(parameters=[schema.DAY, schema.GRID], responses=schema.PlanOut(many=True))
    def get(self, request):
        day = _day(request.query_params.get("day"), timezone.localdate())
        grid_id = request.query_params.get("grid")
        if grid_id:
            grid = access_area(request.user, grid_id)
            if not grid.is_grid:
                raise Http404("No such grid")
            plans = [grid_plan(grid=grid, viewer=request.user, day=day)]
        else:
            plans = worker_plan(worker=request.user, day=day)
        return Response(plans_as_data(plans))


class RoundList(generics.ListAPIView):
    serializer_class = RoundOutput
    pagination_class = Cursor
    filter_backends = []

    def get_queryset(self):
        rounds = selectors.rounds_visible_to(self.request.user).select_related("grid")
        params = self.request.query_params
        if params.get("grid"):
            rounds = rounds.filter(grid_id=params["grid"]) if params["grid"].isdigit() else rounds.none()
        if params.get("mine") == "1":
            rounds = rounds.filter(worker=self.request.user)
        return rounds

    @extend_schema(request=RoundStartInput, responses={201: RoundOutput, 200: RoundOutput})
    def post(self, request):
        payload = RoundStartInput(data=request.data)
        payload.is_valid(raise_exception=True)
        round, created = round_start(actor=request.user, **payload.validated_data)
        return Response(RoundOutput(round).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _round_id(request, round_id=None, round_key=None) -> int:
    """The round a write names: by id (``rounds/<id>/…``), or by the key its start was
    sent with (``rounds/key/<key>/…``: what the phone queues behind a start made offline)."""
    return round_id if round_key is None else selectors.own_round_id(request.user, round_key)


class RoundDetail(APIView):
    @extend_schema(responses=RoundOutput)
    def get(self, request, round_id):
        round = selectors.access_round(request.user, round_id)
        data = RoundOutput(round).data
        data["checks"] = CheckOutput(round.checks.select_related("item", "version"), many=True).data
        data["findings"] = FindingOutput(round.findings.select_related("event", "event__category"), many=True).data
        return Response(data)


class RoundEnd(APIView):
    @extend_schema(request=RoundEndInput, responses=RoundOutput)
    def post(self, request, round_id=None, round_key=None):
        round_id = _round_id(request, round_id, round_key)
        selectors.access_round(request.user, round_id)
        payload = RoundEndInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        round = round_end(actor=request.user, round_id=round_id, at=values.get("at"), note=values.get("note", ""))
        return Response(RoundOutput(round).data)


class RoundTrack(APIView):
    """POST ``{"points": [{"at", "lat", "lon", "accuracy"}, …]}`` (``at``: ISO time or
    epoch milliseconds) → ``{"accepted", "duplicates", "refused"}``; GET: the track in
    segments split at gaps."""

    @extend_schema(request=TrackInput, responses=schema.TrackAddOut)
    def post(self, request, round_id=None, round_key=None):
        round_id = _round_id(request, round_id, round_key)
        # The body is checked point by point by the service (a bad point costs only itself);
        # TrackInput documents it without copying the points through a serializer.
        points = request.data.get("points") if isinstance(request.data, dict) else None
        try:
            # The walker's own round is found (and locked) by the service in one query.
            result = track_add(actor=request.user, round_id=round_id, points=points)
        except DjangoValidationError:
            selectors.access_round(request.user, round_id)  # out of scope: 404, like a missing round
            raise
        return Response(result, status=status.HTTP_200_OK)

    @extend_schema(responses=schema.TrackOut)
    def get(self, request, round_id):
        from patrols.track import track_segments

        return Response({"segments": track_segments(selectors.access_round(request.user, round_id))})


def _validated_with_photos(request, round_id, serializer_class) -> dict:
    """The round's scope checked (404), then the body (JSON, or a form with several
    ``photos`` files) validated by ``serializer_class``: its values as a dict."""
    selectors.access_round(request.user, round_id)
    data = request.data.copy() if hasattr(request.data, "getlist") else dict(request.data)
    if hasattr(request.data, "getlist"):
        data.setlist("photos", request.FILES.getlist("photos"))
    payload = serializer_class(data=data)
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


class RoundChecks(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=CheckInput, responses={201: CheckOutput, 200: CheckOutput})
    def post(self, request, round_id=None, round_key=None):
        round_id = _round_id(request, round_id, round_key)
        values = _validated_with_photos(request, round_id, CheckInput)
        check, created = check_record(actor=request.user, round_id=round_id, photos=values.pop("photos"), **values)
        return Response(CheckOutput(check).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RoundFindings(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=FindingInput, responses={201: FindingOutput, 200: FindingOutput})
    def post(self, request, round_id=None, round_key=None):
        round_id = _round_id(request, round_id, round_key)
        values = _validated_with_photos(request, round_id, FindingInput)
        values["check_id"] = values.pop("check", None)
        finding, created = finding_file(actor=request.user, round_id=round_id, photos=values.pop("photos"), **values)
        return Response(FindingOutput(finding).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RoundMap(APIView):
    @extend_schema(responses=schema.RoundMapOut)
    def get(self, request, round_id):
        return Response(selectors.round_map_data(selectors.access_round(request.user, round_id)))


class OverdueView(APIView):
    """The overdue-patrol list in keyset pages of grids (tree order): ``?after=`` the
    ``next`` of the previous page, ``?area=`` one area in scope (404 otherwise)."""

    @extend_schema(parameters=[schema.AFTER, schema.AREA], responses=schema.OverdueOut)
    def get(self, request):
        area_id = request.query_params.get("area")
        within = access_area(request.user, area_id) if area_id else None
        page = selectors.overdue_page(user=request.user, after=request.query_params.get("after", ""), within=within)
        return Response({
            "grids": [grid.code for grid in page["grids"]], "next": page["next"],
            "results": [{"grid": grid.pk, "grid_code": grid.code, "grid_name": grid.name, "item": version.item_id,
                         "item_name": version.label, "frequency": version.frequency, "object_kind": slot.object.kind,
                         "object_id": slot.object.id, "object_label": slot.object.label,
                         "period": [slot.period[0].isoformat(), slot.period[1].isoformat()]}
                        for grid, version, slot in page["rows"]],
        })


class CoverageView(APIView):
    """``?kind=grid|worker|community|street&first=YYYY-MM-DD&last=YYYY-MM-DD`` (default:
    this month so far): the measures and ratios of every unit in scope."""

    @extend_schema(parameters=[schema.KIND, schema.FIRST, schema.LAST], responses=schema.CoverageOut)
    def get(self, request):
        today = timezone.localdate()
        first = _day(request.query_params.get("first"), today.replace(day=1))
        last = _day(request.query_params.get("last"), today)
        if last < first or (last - first) > timedelta(days=400):
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"last": [_("The period must run forwards and last at most 400 days.")]})
        kind = request.query_params.get("kind", "grid")
        units = selectors.coverage_for(user=request.user, kind=kind, first=first, last=last)
        return Response({"kind": kind, "first": first, "last": last,
                         "units": [{"id": u.id, "code": u.code, "name": u.name, **u.measures, "ratios": u.ratios}
                                   for u in units]})
