"""Campaign API (``/api/v1/campaigns/``): campaigns, their progress up the tree, targets
with their results, answers (idempotent: an ``Idempotency-Key`` header or an
``idempotency_key`` field), events filed from a target. Scoped like the pages
(``campaigns.selectors``); out of scope answers 404."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import access_area
from api.exceptions import error_body
from api.pagination import Cursor, IdCursor
from campaigns import selectors, services
from campaigns.answers import target_answer, target_event_file
from campaigns.answers_many import answers_record_many
from campaigns.api.serializers import (
    AnswerBatchInput,
    AnswerInput,
    AnswerOutput,
    CampaignInput,
    CampaignOutput,
    FormInput,
    TargetOutput,
    progress_data,
)
from campaigns.exports import XLSX, ledger_export
from campaigns.models import Campaign, Target


class CampaignList(ListAPIView):
    """GET: the campaigns the caller sees. POST: create a draft (command center,
    administrators, leaders of the area)."""

    permission_classes = [IsAuthenticated]
    serializer_class = CampaignOutput
    pagination_class = Cursor

    def get_queryset(self):
        return selectors.campaigns_visible_to(self.request.user).select_related("area")

    @extend_schema(request=CampaignInput, responses={201: CampaignOutput})
    def post(self, request):
        data = CampaignInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        area = access_area(request.user, values.pop("area"))
        campaign = services.campaign_create(actor=request.user, area=area, **values)
        return Response(CampaignOutput(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=CampaignOutput)
    def get(self, request, pk):
        return Response(CampaignOutput(selectors.access_campaign(request.user, pk)).data)


class CampaignPublish(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=inline_serializer("PublishOutput", {"targets": serializers.IntegerField()}))
    def post(self, request, pk):
        campaign = selectors.access_campaign(request.user, pk)
        count = services.campaign_publish(actor=request.user, campaign=campaign)
        return Response({"targets": count})


class CampaignForm(APIView):
    """GET: the form's versions. PUT ``{"form": [...], "problem_category": code}``: a new
    version of the form (managers; also after publishing — answers keep theirs)."""

    permission_classes = [IsAuthenticated]

    def _managed(self, request, pk):
        campaign = selectors.access_campaign(request.user, pk)
        if not selectors.can_manage(request.user, campaign):
            raise exceptions.NotFound()
        return campaign

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        campaign = self._managed(request, pk)
        return Response({"campaign": campaign.pk, "form_version": campaign.form_version, "versions": [
            {"version": version.version, "form": version.form, "by": version.by_id, "at": version.at}
            for version in campaign.form_versions.order_by("version")]})

    @extend_schema(request=FormInput, responses=CampaignOutput)
    def put(self, request, pk):
        campaign = self._managed(request, pk)
        data = FormInput(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_form_change(actor=request.user, campaign=campaign, form=data.validated_data["form"],
                                                 problem_category=data.validated_data["problem_category"] or None)
        return Response(CampaignOutput(campaign).data)


class CampaignProgress(APIView):
    """GET ?area=<id>: the node's counters and its children's (workers under a grid).
    GET ?tree=1: every node of the caller's part of the campaign, down to the grids."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("area", int), OpenApiParameter("tree", bool)], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        campaign = selectors.access_campaign(request.user, pk)
        if request.query_params.get("tree") in ("1", "true"):
            rows = selectors.progress_tree(request.user, campaign)
            return Response({"campaign": campaign.pk, "nodes": [{
                "area": {"id": row["area_id"], "code": row["area__code"], "name": row["area__name"],
                         "level": row["area__level"]},
                "targets": row["targets"] - row["moved_out"], "visited": row["visited"], "not_home": row["not_home"],
                "problems": row["problems"], "events": row["events"], "moved_out": row["moved_out"],
            } for row in rows]})
        area = selectors.progress_root(request.user, campaign, request.query_params.get("area"))
        own, children = selectors.progress_rows(campaign, area)
        return Response({"campaign": campaign.pk, "node": progress_data(own),
                         "children": [progress_data(row) for row in children]})


class CampaignLedger(APIView):
    """GET ?area=<id>: the results ledger as .xlsx (managers; masked and logged like the
    page's export)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("area", int)], responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request, pk):
        campaign = selectors.access_campaign(request.user, pk)
        if not selectors.can_manage(request.user, campaign):
            raise exceptions.NotFound()
        area = selectors.progress_root(request.user, campaign, request.query_params.get("area"))
        handle, filename = ledger_export(actor=request.user, campaign=campaign, area=area)
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


class TargetList(ListAPIView):
    """GET ?mine=1&status=&building=&problem=1: targets and their latest result (the
    results ledger, page by page)."""

    permission_classes = [IsAuthenticated]
    serializer_class = TargetOutput
    pagination_class = IdCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Target.objects.none()
        campaign = selectors.access_campaign(self.request.user, self.kwargs["pk"])
        params = self.request.query_params
        filters = selectors.TargetFilter(building=params.get("building", ""), status=params.get("status", ""),
                                         problem=params.get("problem") in ("1", "true"), mine=params.get("mine") in ("1", "true"))
        return (selectors.targets_for(self.request.user, campaign, filters)
                .select_related("grid", "event", "last_answer").order_by())


class TargetAnswer(APIView):
    """POST an answer: 201 when recorded, 200 with the first answer when the key was seen."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=AnswerInput, responses={201: AnswerOutput, 200: AnswerOutput},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)])
    def post(self, request, pk):
        target = selectors.access_target(request.user, pk)
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        key = request.headers.get("Idempotency-Key") or values.get("idempotency_key")
        if not key:
            raise exceptions.ValidationError({"idempotency_key": ["Idempotency-Key header or idempotency_key field is required."]})
        if not selectors.can_answer(request.user, target):
            raise exceptions.NotFound()
        answer, created = target_answer(
            actor=request.user, target=target, outcome=values["outcome"], idempotency_key=key, values=values["values"],
            latitude=values["latitude"], longitude=values["longitude"], recorded_at=values["recorded_at"],
            note=values["note"])
        return Response(AnswerOutput(answer).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AnswerBatch(APIView):
    """POST ``{"answers": [{"target", "idempotency_key", "outcome", "values", …}, …]}``
    (at most 200): a phone's offline queue sent at once. Each answer is checked and
    recorded as ``POST targets/<id>/answers/`` records it (same checks, idempotency and
    counters; ``campaigns.answers_many``), a refused one losing none of the others.
    200 with one result per answer, in order: ``{"target", "status": 201 | 200, "answer":
    {"id", "idempotency_key", "outcome", "problems", "form_version", "late"}}`` or
    ``{"target", "status": 400 | 404, "code", "message", "detail"}``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=AnswerBatchInput, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = AnswerBatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["answers"]
        # Every target of the batch in one scoped query (out of scope: missing), and each
        # campaign once (its form decoded once), without the areas' boundaries.
        targets = selectors.targets_visible_to(request.user).select_related("grid").defer("grid__boundary").in_bulk(
            {item["target"] for item in items})
        campaigns = Campaign.objects.select_related("area").defer("area__boundary").in_bulk(
            {target.campaign_id for target in targets.values()})
        for target in targets.values():
            target.campaign = campaigns[target.campaign_id]
        found = [(index, {**item, "target": targets[item["target"]]}) for index, item in enumerate(items)
                 if item["target"] in targets and selectors.can_answer(request.user, targets[item["target"]])]
        recorded = dict(zip([index for index, _item in found],
                            answers_record_many(actor=request.user, items=[item for _index, item in found]), strict=True))
        results = []
        for index, item in enumerate(items):
            if index not in recorded:
                results.append({"target": item["target"], "status": 404, **error_body("not_found", _("No such target."))})
                continue
            kind, value = recorded[index]
            if kind == "refused":
                results.append({"target": item["target"], "status": 400,
                                **error_body("invalid", _("The answer was not recorded."), value)})
            else:
                results.append({"target": item["target"], "status": 201 if kind == "created" else 200, "answer": {
                    "id": value.pk, "idempotency_key": value.idempotency_key, "outcome": value.outcome,
                    "problems": value.problems, "form_version": value.form_version, "late": value.late}})
        return Response({"results": results})


class TargetEvent(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
                   responses=inline_serializer("TargetEventOutput", {"event": serializers.CharField(),
                                                                     "id": serializers.IntegerField()}))
    def post(self, request, pk):
        target = selectors.access_target(request.user, pk)
        if not selectors.can_answer(request.user, target):
            raise exceptions.NotFound()
        key = request.headers.get("Idempotency-Key") or request.data.get("idempotency_key", "")
        event, created = target_event_file(actor=request.user, target=target, idempotency_key=key)
        return Response({"event": event.code, "id": event.pk}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
