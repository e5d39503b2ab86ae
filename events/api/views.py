"""Events (``/api/v1/events/``): the scoped list with filters, filing with photos and an
idempotency key, the detail with its timeline, every workflow transition as an action
(``POST /api/v1/events/{id}/{transition}/``), attachments; categories; the dashboard."""

import datetime

import django_filters
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import access_event, areas_visible_to, events_among_visible_to, events_visible_to
from accounts.visible_pages import events_visible_candidates, events_visible_candidates_statement
from api.models import ApiClient
from api.pagination import Cursor
from events.api.serializers import (
    CategoryOutput,
    EventDetailOutput,
    EventInput,
    EventOutput,
    ReporterRevealInput,
    ReporterRevealOutput,
    TransitionInput,
)
from events.attachments import attachment_response
from events.dashboard import MAX_DAYS, dashboard_figures
from events.models import Category, Channel, Event, Light, Urgency, light_filter
from events.reporter import event_reporter_reveal
from governance import serverprepared
from workflow.machine import FILING, TRANSITIONS, State
from workflow.services import event_file, event_transition


class EventCursor(Cursor):
    ordering = ("-reported_at", "-id")


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 datetime, compared in UTC: PostgreSQL refuses offsets beyond ±15:59,
    which Python accepts (e.g. +23:35)."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except (OverflowError, ValueError):
                raise serializers.ValidationError({self.field_name: [_("Enter a valid date/time.")]}) from None
        return super().filter(qs, value)


class EventFilter(django_filters.FilterSet):
    # distinct=False: the filter's default DISTINCT would make PostgreSQL sort every matching row.
    state = django_filters.MultipleChoiceFilter(choices=State.choices, distinct=False)
    category = django_filters.CharFilter(method="filter_category", label=gettext_lazy("a small or big class's code"))
    area = django_filters.NumberFilter(method="filter_area", label=gettext_lazy("events in this area's subtree (id)"))
    department = django_filters.NumberFilter(field_name="primary_department_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=gettext_lazy("red light (overdue) now"))
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    reported_after = UtcDateTimeFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = UtcDateTimeFilter(field_name="reported_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["state", "category", "area", "department", "overdue", "urgency", "channel"]

    def filter_category(self, queryset, name, value):
        ids = Category.objects.filter(Q(code=value) | Q(parent__code=value)).values("id")
        return queryset.filter(category_id__in=ids)

    def filter_area(self, queryset, name, value):
        area = areas_visible_to(self.request.user).filter(pk=value).values_list("path", flat=True).first()
        if area is None:
            # An area outside the user's scope selects nothing (and reveals nothing).
            return queryset.none()
        return queryset.filter(grid_id__in=areas_visible_to(self.request.user).filter(path__startswith=area).values("id"))

    def filter_overdue(self, queryset, name, value):
        # One moment per request: a list filters twice (the sources, then the page).
        if not hasattr(self.request, "governance_now"):
            self.request.governance_now = timezone.now()
        overdue = light_filter(Light.RED, self.request.governance_now)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


LIST_COLUMNS = (
    *(name if name not in ("category", "grid", "primary_department", "duplicate_of", "merged_into") else f"{name}_id"
      for name in EventOutput.Meta.fields),
    "category__code", "category__name", "grid__code", "grid__name", "primary_department__name", "yellow_at", "red_at",
)


def _client_channel(request) -> str:
    return Channel.API if isinstance(request.auth, ApiClient) else Channel.GRID_WORKER


class EventViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Events the user may see: in their subtrees, dispatched to their departments, or filed by them."""

    filterset_class = EventFilter
    pagination_class = EventCursor
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    transition_actions = tuple(f"transition_{transition.name}" for transition in TRANSITIONS if transition.name not in FILING)

    def get_queryset(self):
        return self._shown(events_visible_to(self.request.user))

    def _shown(self, events):
        events = events.select_related("category", "grid", "primary_department")
        if self.action == "list":
            # Only the columns a list shows: fewer bytes, and cheaper rows to build.
            return events.only(*LIST_COLUMNS)
        return events.defer("dossier", "grid__boundary")

    def get_serializer_class(self):
        return EventOutput if self.action == "list" else EventDetailOutput

    def filter_queryset(self, queryset):
        """The list's filters, checked once per request: a list filters up to three
        querysets (the scoped one, the sources, the page) with the same parameters."""
        if list(self.filter_backends) != [DjangoFilterBackend]:
            return super().filter_queryset(queryset)
        filterset = self._filterset(queryset)
        return queryset if filterset is None else filterset.filter_queryset(queryset)

    def _filterset(self, queryset):
        """The request's filters, validated once (a 400 with the reasons when they are not valid)."""
        if "_valid_filterset" not in self.__dict__:
            filters = getattr(self.filterset_class, "base_filters", None) or {}
            if not any(name in self.request.query_params for name in filters):
                self._valid_filterset = None  # no filter asked for: nothing to build (a tenth of a list's CPU)
                return None
            filterset = DjangoFilterBackend().get_filterset(self.request, queryset, self)
            if filterset is not None and not filterset.is_valid():
                raise translate_validation(filterset.errors)
            self._valid_filterset = filterset
        return self._valid_filterset

    # The page is read among the candidates of the user's sources of visibility
    # (``_page_candidates``); the whole scoped query is composed only when the page must
    # come from it (no candidates, or some of them changed meanwhile): composing it cost a
    # tenth of a department handler's list request. (A comment: the method's docstring
    # would become the API schema's description of the list.)
    def list(self, request, *args, **kwargs):
        if self.paginator is None or list(self.filter_backends) != [DjangoFilterBackend]:
            return super().list(request, *args, **kwargs)
        self._filterset(Event.objects.all())  # bad filters answer 400 before anything is read

        def scoped():
            return self.filter_queryset(self.get_queryset())

        narrowed, expected = self._page_candidates()
        page = self.paginate_queryset(scoped() if narrowed is None else narrowed)
        if narrowed is not None and self._rows_read(page) < expected:
            # Some candidates stopped matching between the two statements (a colleague's
            # transition, a grant revoked): the scoped query, rather than a page cut short.
            page = self.paginate_queryset(scoped())
        if page is None:  # no page size: the whole list, as DRF answers it
            return Response(self.get_serializer(scoped(), many=True).data)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _page_candidates(self):
        """The list narrowed to the ids among which its page lies, read source by source
        of visibility (``accounts.visible_pages``): a department's list walks its grants
        in order instead of its whole history. The scope still decides, checked on these
        rows alone (``events_among_visible_to``) instead of hashing every grant. Also
        how many rows the page must read from them (``_rows_read``) if none changed;
        ``(None, 0)`` when the page is to be read from the scoped query."""
        try:
            cursor = self.paginator.decode_cursor(self.request)
        except NotFound:
            return None, 0  # the paginator answers it
        size = self.paginator.get_page_size(self.request)
        if not size:
            return None, 0
        offset, reverse, position = cursor or (0, False, None)
        count = offset + size + 1
        # The ids read first (at most ``count`` a source): as a sub-select, the planner scanned every event.
        # Its shape is the user's and the filters': planned once per connection
        # (governance.serverprepared; 0.8 ms of planning at 1,000,000 events); without
        # filters also composed once (accounts.visible_pages).
        if self._filterset(Event.objects.all()) is None:
            statement = events_visible_candidates_statement(self.request.user, count=count, ascending=reverse, beyond=position)
            if statement is None:
                return None, 0
        else:
            candidates = events_visible_candidates(self.request.user, self.filter_queryset(Event.objects.all()),
                                                   count=count, ascending=reverse, beyond=position)
            if candidates is None:
                return None, 0
            try:
                statement = candidates.query.sql_with_params()
            except EmptyResultSet:  # every source is empty (a filter that selects nothing)
                statement = None
        if statement is None:
            ids = set()
        else:
            with connection.cursor() as cursor:
                serverprepared.execute(cursor, *statement)
                ids = {pk for (pk,) in cursor.fetchall()}
        narrowed = self.filter_queryset(self._shown(events_among_visible_to(self.request.user, list(ids))))
        return narrowed, max(0, min(count, len(ids)) - offset)

    def _rows_read(self, page) -> int:
        """The rows the paginator read for ``page``: the page and the one after it, if any."""
        following = self.paginator.has_previous if self.paginator.cursor and self.paginator.cursor.reverse else self.paginator.has_next
        return len(page) + bool(following)

    def get_object(self):
        event = access_event(self.request.user, self.kwargs["pk"])
        return Event.objects.select_related("category", "grid", "primary_department").get(pk=event.pk)

    @extend_schema(request=EventInput, responses={201: EventOutput, 200: EventOutput},
                   parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)])
    def create(self, request):
        """File an event; answers 201 with the event and its address in Location (the detail
        there has the timeline). Sending the same idempotency key again returns the first event (200)."""
        payload = EventInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        key = data.get("idempotency_key") or request.headers.get("Idempotency-Key") or None
        event, created = event_file(
            actor=request.user, channel=data.get("channel") or _client_channel(request), category=data["category"],
            description=data["description"], latitude=data.get("latitude"), longitude=data.get("longitude"),
            grid=data.get("grid"), address=data["address"], urgency=data["urgency"], attachments=data["photos"],
            idempotency_key=key, resolved_on_site=data["resolved_on_site"], result=data["result"],
            onsite_attachments=data["onsite_photos"], reporter_name=data["reporter_name"],
            reporter_contact=data["reporter_contact"], extra=data["extra"],
        )
        body = EventOutput(event, context=self.get_serializer_context()).data
        response = Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        response["Location"] = f"/api/v1/events/{event.pk}/"
        return response

    def _fresh(self, event):
        return Event.objects.select_related("category", "grid", "primary_department").get(pk=event.pk)

    def _transition(self, request, pk, name):
        payload = TransitionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        params = {key: value for key, value in payload.validated_data.items() if value not in ("", None)}
        photos = params.pop("photos", [])
        if name != "dispatch":
            params.pop("assisting", None)
        event = event_transition(actor=request.user, event_id=pk, name=name, attachments=photos, **params)
        return Response(EventDetailOutput(self._fresh(event), context=self.get_serializer_context()).data)

    @extend_schema(request=ReporterRevealInput, responses=ReporterRevealOutput)
    @action(detail=True, methods=["post"], url_path="reporter", pagination_class=None, filterset_class=None)
    def reporter(self, request, pk=None):
        """The reporter's name and contact in clear, with a reason, for the roles that call
        reporters back; every reveal is written to the access log (answers 403 to others)."""
        event = access_event(request.user, pk)
        payload = ReporterRevealInput(data=request.data)
        payload.is_valid(raise_exception=True)
        identity = event_reporter_reveal(actor=request.user, event=event, reason=payload.validated_data["reason"])
        response = Response(ReporterRevealOutput(identity).data)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)", pagination_class=None,
            filterset_class=None)
    def attachment(self, request, pk=None, attachment_id=None):
        """Download one photo or document of the event."""
        event = access_event(request.user, pk)
        item = event.attachments.filter(pk=attachment_id).first()
        if item is None:
            raise Http404("No such attachment")
        return attachment_response(item)


def _transition_action(transition):
    def act(self, request, pk=None):
        return self._transition(request, pk, transition.name)

    act.__name__ = f"transition_{transition.name}"
    act.__doc__ = (f"{transition.label}: from {', '.join(transition.sources)}. Answers 409 with the reason when the "
                   f"event's state or the guard refuses it, 403 when the caller is not {', '.join(transition.actors)}.")
    act = action(detail=True, methods=["post"], url_path=transition.name, url_name=transition.name.replace("_", "-"),
                 pagination_class=None, filterset_class=None)(act)
    return extend_schema(request=TransitionInput, responses=EventDetailOutput, operation_id=f"events_{transition.name}",
                         summary=str(transition.label))(act)


for _transition_declared in TRANSITIONS:
    if _transition_declared.name not in FILING:
        setattr(EventViewSet, f"transition_{_transition_declared.name}", _transition_action(_transition_declared))


class CategoryFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", label=gettext_lazy("the big class's code"))
    big = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label=gettext_lazy("big classes only"))

    class Meta:
        model = Category
        fields = ["parent", "big", "is_active"]


class CategoryCursor(Cursor):
    ordering = ("order", "id")


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The category catalogue: big classes (大类) and small classes (小类)."""

    serializer_class = CategoryOutput
    filterset_class = CategoryFilter
    pagination_class = CategoryCursor
    queryset = Category.objects.all()


class DashboardInput(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, data):
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - datetime.timedelta(days=29)
        if end < start:
            raise serializers.ValidationError({"end": _("The period ends before it starts.")})
        if (end - start).days + 1 > MAX_DAYS:
            raise serializers.ValidationError({"start": _("The period is longer than %(days)d days.") % {"days": MAX_DAYS}})
        return {"start": start, "end": end}


class DashboardView(APIView):
    """The command center's figures for a period (default: the last 30 days), over the events the user may see."""

    @extend_schema(parameters=[DashboardInput], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        period = DashboardInput(data=request.query_params)
        period.is_valid(raise_exception=True)
        return Response(dashboard_figures(user=request.user, **period.validated_data))
