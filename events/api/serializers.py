from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from api.serializers import FreshFields, Ref
from events.models import TEXT_LIMITS, Attachment, Category, Channel, Event, Light, Rating, Urgency
from workflow.machine import State
from workflow.models import TimeUnit


class DepartmentRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategoryOutput(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    extra_fields = serializers.JSONField(help_text="Extra fields asked when filing (Open311 attributes).")

    class Meta:
        model = Category
        fields = ["id", "code", "name", "name_en", "parent", "description", "default_department_kind",
                  "default_department_level", "closing_standard", "onsite_allowed", "verification_by", "extra_fields",
                  "is_active"]


RELATED_EVENTS = ("duplicate_of_id", "merged_into_id")


def _visible_related(context, events) -> set:
    """Of the events named by ``duplicate_of``/``merged_into``, those the caller may see
    (``event_ids_visible_among``: the user's areas and own filings checked in memory on
    one short read, the grants only for the rest)."""
    from accounts.scoping import event_ids_visible_among

    ids = {getattr(event, name) for event in events for name in RELATED_EVENTS} - {None}
    request = context.get("request")
    if not ids or request is None:
        return set()
    # A filing read its duplicate's reporter and grid with the hint (events.services).
    known = {pk: row for event in events for pk, row in getattr(event, "related_seen_as", {}).items()}
    return event_ids_visible_among(request.user, ids, page=len(events) > 1, known=known)


class EventListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        events = list(data.all() if hasattr(data, "all") else data)
        self.child.context["visible_related"] = _visible_related(self.context, events)
        self.child.context["zone"] = timezone.get_current_timezone()
        return super().to_representation(events)


_MOMENT = serializers.DateTimeField()


def _moment(value, zone=None):
    """What DRF's ``DateTimeField`` gives (ISO 8601 in the current time zone, UTC as
    ``Z``), with the zone (``zone``) looked up once per list instead of once per value:
    the lookups were two thirds of a list's output."""
    if not value:
        return None
    if zone is None or value.utcoffset() is None or api_settings.DATETIME_FORMAT.lower() != ISO_8601:
        return _MOMENT.to_representation(value)
    try:
        text = value.astimezone(zone).isoformat()
    except OverflowError:
        return _MOMENT.to_representation(value)  # (DRF's own error)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _ref(obj) -> dict:
    return {"id": obj.pk, "code": str(obj.code), "name": str(obj.name)}


class EventOutput(serializers.ModelSerializer):
    """An event in lists. ``duplicate_of`` and ``merged_into`` name only events the caller
    may see (null otherwise: another area's event is not revealed)."""

    state = serializers.ChoiceField(choices=State.choices)
    category = Ref()
    grid = Ref()
    primary_department = DepartmentRef(allow_null=True)
    # The light of now (a warning or due time passed since the last sweep counts).
    light = serializers.ChoiceField(choices=Light.choices, source="light_now", read_only=True)
    duplicate_of = serializers.SerializerMethodField()
    merged_into = serializers.SerializerMethodField()

    def _related(self, event, name) -> int | None:
        pk = getattr(event, name)
        if pk is None:
            return None
        if "visible_related" not in self.context:
            self.context["visible_related"] = _visible_related(self.context, [event])
        return pk if pk in self.context["visible_related"] else None

    def get_duplicate_of(self, event) -> int | None:
        return self._related(event, "duplicate_of_id")

    def get_merged_into(self, event) -> int | None:
        return self._related(event, "merged_into_id")

    def to_representation(self, event):
        """What the fields declared here give (tests/api/test_list_output.py compares the
        two), built directly: a list renders 50 rows a page, and DRF's per-field machinery
        was most of a list request's time. Subclasses (the detail) use the fields."""
        if type(self) is not EventOutput:
            return super().to_representation(event)
        department = event.primary_department
        zone = self.context.get("zone") or timezone.get_current_timezone()
        return {
            "id": event.pk, "code": event.code, "state": event.state, "channel": event.channel,
            "category": _ref(event.category), "urgency": event.urgency, "description": event.description,
            "address": event.address, "latitude": event.latitude, "longitude": event.longitude, "grid": _ref(event.grid),
            "primary_department": {"id": department.pk, "name": department.name} if department is not None else None,
            "light": event.light_now, "due_at": _moment(event.due_at, zone), "is_suspended": event.is_suspended,
            "is_supervised": event.is_supervised, "is_onsite": event.is_onsite,
            "duplicate_of": self.get_duplicate_of(event), "merged_into": self.get_merged_into(event),
            "escalation_level": event.escalation_level, "rework_count": event.rework_count,
            "closure_type": event.closure_type, "rating": event.rating, "reported_at": _moment(event.reported_at, zone),
            "closed_at": _moment(event.closed_at, zone), "updated_at": _moment(event.updated_at, zone),
        }

    class Meta:
        model = Event
        fields = ["id", "code", "state", "channel", "category", "urgency", "description", "address", "latitude", "longitude",
                  "grid", "primary_department", "light", "due_at", "is_suspended", "is_supervised", "is_onsite",
                  "duplicate_of", "merged_into", "escalation_level", "rework_count", "closure_type", "rating",
                  "reported_at", "closed_at", "updated_at"]
        list_serializer_class = EventListSerializer


# What a timeline row's data names of other events (the filing's duplicate hint, the
# event a merge went into): shown only as far as the caller may see those events.
TIMELINE_EVENT_KEYS = ("duplicate_of", "into")


def timeline_events_named(entries) -> set:
    return {entry.data.get(key) for entry in entries if isinstance(entry.data, dict) for key in TIMELINE_EVENT_KEYS} - {None}


class TimelineOutput(serializers.Serializer):
    """A timeline row; with ``visible_events`` in the context, the other events its data
    names that are not among them are given as null."""

    at = serializers.DateTimeField()
    transition = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.SerializerMethodField()
    note = serializers.CharField()
    data = serializers.SerializerMethodField()

    def get_actor(self, entry) -> str:
        return entry.actor.display_name if entry.actor_id else str(entry.actor_label)

    def get_data(self, entry) -> dict:
        data = entry.data
        if not isinstance(data, dict) or not any(data.get(key) is not None for key in TIMELINE_EVENT_KEYS):
            return data
        visible = self.context.get("visible_events", set())
        return {key: None if key in TIMELINE_EVENT_KEYS and value not in visible else value for key, value in data.items()}


class AttachmentOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "stage", "original_name", "content_type", "size", "is_image", "uploaded_at", "url"]

    def get_url(self, attachment) -> str:
        """Download address (same scoping as the event)."""
        path = f"/api/v1/events/{attachment.event_id}/attachments/{attachment.pk}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class AssignmentOutput(serializers.Serializer):
    department = DepartmentRef()
    role = serializers.CharField()
    assigned_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)


class ActionOutput(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True)


class ReporterRevealInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, trim_whitespace=True)


class ReporterRevealOutput(serializers.Serializer):
    name = serializers.CharField()
    contact = serializers.CharField()


class EventDetailOutput(EventOutput):
    """An event with its timeline, attachments, departments and the actions the caller may take."""

    timeline = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    departments = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(EventOutput.Meta):
        fields = [*EventOutput.Meta.fields, "reporter_name", "reporter_contact", "result", "rating_comment", "evaluation",
                  "extra", "postpone_count", "return_count", "supervise_count", "was_overdue", "accepted_at",
                  "dispatched_at", "signed_at", "handled_at", "verified_at", "archived_at", "timeline", "attachments",
                  "departments", "actions"]

    def get_timeline(self, event) -> TimelineOutput(many=True):
        from accounts.scoping import event_ids_visible_among

        entries = list(event.timeline.select_related("actor").order_by("at", "id"))
        named = timeline_events_named(entries)
        request = self.context.get("request")
        visible = event_ids_visible_among(request.user, named) if named and request is not None else set()
        return TimelineOutput(entries, many=True, context={"visible_events": visible}).data

    def get_attachments(self, event) -> AttachmentOutput(many=True):
        return AttachmentOutput(event.attachments.all(), many=True, context=self.context).data

    def get_departments(self, event) -> AssignmentOutput(many=True):
        return AssignmentOutput(event.assignments.select_related("department").order_by("assigned_at", "id"), many=True).data

    def get_actions(self, event) -> ActionOutput(many=True):
        from workflow.selectors import transitions_available

        request = self.context.get("request")
        if request is None:
            return []
        return [{"name": transition.name, "label": str(transition.label), "allowed": reason is None,
                 "reason": str(reason) if reason else None}
                for transition, reason in transitions_available(request.user, event)]


class EventInput(FreshFields, serializers.Serializer):
    category = serializers.CharField(max_length=20, help_text=_("a small class's code, e.g. 0101"))
    description = serializers.CharField(max_length=TEXT_LIMITS["description"])
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    grid = serializers.IntegerField(required=False, allow_null=True, help_text=_("a grid's id, when no location is given"))
    address = serializers.CharField(max_length=TEXT_LIMITS["address"], required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    channel = serializers.ChoiceField(choices=[choice for choice in Channel.choices if choice[0] != Channel.RESIDENT],
                                      required=False)
    idempotency_key = serializers.CharField(max_length=80, required=False, allow_blank=True,
                                            help_text=_("also accepted as the Idempotency-Key header"))
    extra = serializers.JSONField(required=False, default=dict, help_text=_("values of the small class's extra fields"))
    reporter_name = serializers.CharField(max_length=TEXT_LIMITS["reporter_name"], required=False, allow_blank=True, default="")
    reporter_contact = serializers.CharField(max_length=TEXT_LIMITS["reporter_contact"], required=False, allow_blank=True, default="")
    resolved_on_site = serializers.BooleanField(default=False)
    result = serializers.CharField(max_length=TEXT_LIMITS["result"], required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                   max_length=settings.EVENT_ATTACHMENT_MAX_COUNT)
    onsite_photos = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                          max_length=settings.EVENT_ATTACHMENT_MAX_COUNT)

    def validate_extra(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Give the extra fields as an object."))
        return value

    def validate(self, data):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise serializers.ValidationError({"longitude" if data.get("latitude") is not None else "latitude":
                                               _("Give both latitude and longitude.")})
        return data


class TransitionInput(FreshFields, serializers.Serializer):
    """Parameters of a workflow action; which ones an action needs is in docs/workflow.md."""

    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    result = serializers.CharField(max_length=TEXT_LIMITS["result"], required=False, allow_blank=True)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    evaluation = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    rating = serializers.ChoiceField(choices=Rating.choices, required=False)
    primary = serializers.IntegerField(required=False, help_text=_("dispatch: the primary department's id"))
    assisting = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                                      help_text=_("dispatch: assisting departments' ids"))
    into = serializers.IntegerField(required=False, help_text=_("merge: the open event's id"))
    amount = serializers.IntegerField(min_value=1, max_value=10000, required=False,
                                      help_text=_("request_postponement: extra time"))
    unit = serializers.ChoiceField(choices=TimeUnit.choices, required=False)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                   max_length=settings.EVENT_ATTACHMENT_MAX_COUNT)
