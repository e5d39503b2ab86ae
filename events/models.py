"""Events (事件): what was reported, where, in which category, with its photos (DESIGN §5).

This is the case record. Its states are data here (``State``); which transition leads
from one to another, who may fire it and what it does is declared by ``workflow``, which
imports this module and never the other way round (docs/architecture.md). The fields that
record the workflow's progress live here because lists filter on them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import DepartmentKind
from grids.models import AreaLevel
from grids.names import Bilingual


class State(models.TextChoices):
    """The states of an event (DESIGN §5); ``workflow.machine`` declares the transitions."""

    # Filed, waiting for the command center to accept it (受理).
    REPORTED = "reported", _("Reported")
    # Accepted as a valid case, waiting to be dispatched (待派遣).
    ACCEPTED = "accepted", _("Accepted")
    # Not a valid case (无效上报), with a reason. Final.
    REJECTED = "rejected", _("Rejected")
    # A duplicate, merged into an open event. Final.
    MERGED = "merged", _("Merged")
    # Sent to a primary department (and assisting ones), waiting for it to sign (待签收).
    DISPATCHED = "dispatched", _("Dispatched")
    # Signed by the department, being handled (处置中).
    HANDLING = "handling", _("Handling")
    # The department (or the grid worker on site) reports it done (待核查).
    HANDLED = "handled", _("Handled")
    # Verified on site by the grid (核查通过), waiting for the rating (待评价).
    VERIFIED = "verified", _("Verified")
    # Closed: normal, overdue or special (结案).
    CLOSED = "closed", _("Closed")
    # Dossier frozen (归档). Final.
    ARCHIVED = "archived", _("Archived")


OPEN_STATES = (State.REPORTED, State.ACCEPTED, State.DISPATCHED, State.HANDLING, State.HANDLED, State.VERIFIED)
IN_PROGRESS = (State.ACCEPTED, State.DISPATCHED, State.HANDLING)
FINAL_STATES = (State.REJECTED, State.MERGED, State.ARCHIVED)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")  # 一般
    URGENT = "urgent", _("Urgent")  # 紧急
    CRITICAL = "critical", _("Critical")  # 特急


class Channel(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")  # 网格员上报
    RESIDENT = "resident", _("Resident")  # 居民上报 (public page)
    HOTLINE = "hotline", _("12345 hotline")  # 12345 热线
    API = "api", _("API / Open311")  # 接口
    PATROL = "patrol", _("Patrol")  # 巡查


class VerificationBy(models.TextChoices):
    GRID_WORKER = "grid_worker", _("The grid's worker")  # 网格员核查
    GRID_LEADER = "grid_leader", _("The grid leader")  # 网格长核查
    SPOT_CHECK = "spot_check", _("Spot check by the command center")  # 指挥中心抽查


class Category(Bilingual, models.Model):
    """A big class (大类, no parent) or a small class (小类, parent is a big class).

    Events are filed against small classes only. The default department is found at
    dispatch time: the department of ``default_department_kind`` serving the event's
    grid, preferring one at ``default_department_level``.
    """

    parent = models.ForeignKey(
        "self", verbose_name=_("big class"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    default_department_kind = models.CharField(
        _("default department kind"), max_length=32, choices=DepartmentKind.choices, blank=True
    )
    default_department_level = models.CharField(
        _("default department level"), max_length=16, choices=AreaLevel.choices, blank=True
    )
    closing_standard = models.TextField(_("closing standard"), blank=True)
    onsite_allowed = models.BooleanField(_("on-site resolution allowed"), default=False)
    verification_by = models.CharField(
        _("verification by"), max_length=16, choices=VerificationBy.choices, default=VerificationBy.GRID_WORKER
    )
    # Extra fields asked when filing (Open311 attributes): a list of
    # {"code", "description", "datatype", "required", "order", "values": [{"key", "name"}]}.
    extra_fields = models.JSONField(_("extra fields"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Offered to residents on the public report page (a short, plain list; clues about
    # crime or unrest stay internal).
    is_public = models.BooleanField(_("offered to the public"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.parent.label} / {self.label}" if self.parent_id and self.parent else self.label

    @property
    def is_small_class(self) -> bool:
        return self.parent_id is not None


class Light(models.TextChoices):
    GREEN = "green", _("On time")  # 绿灯
    YELLOW = "yellow", _("Warning")  # 黄灯
    RED = "red", _("Overdue")  # 红灯


class ClosureType(models.TextChoices):
    NORMAL = "normal", _("Normal closure")  # 正常结案
    OVERDUE = "overdue", _("Overdue closure")  # 超时结案
    SPECIAL = "special", _("Special closure")  # 特殊结案


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")  # 基本满意
    DISSATISFIED = "dissatisfied", _("Dissatisfied")  # 不满意


# Longest text accepted for an event's fields, the same on every channel (pages, API,
# Open311): the forms and serializers use these and ``event_file`` checks them again.
TEXT_LIMITS = {"description": 5000, "result": 5000, "address": 200, "reporter_name": 60, "reporter_contact": 120}


class Event(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reporter"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reported_events", db_index=False,  # events_by_reporter leads with it
    )
    # For reports without an account (public page, hotline, Open311): personal data
    # (events.reporter). These two hold the masks (张**, 138****1001); the clear values
    # are only in the ciphers, revealed per event with a reason and logged.
    reporter_name = models.CharField(_("reporter's name"), max_length=60, blank=True)
    reporter_contact = models.CharField(_("reporter's contact"), max_length=120, blank=True)
    reporter_name_cipher = models.BinaryField(editable=False, blank=True, default=b"", db_default=b"")
    reporter_contact_cipher = models.BinaryField(editable=False, blank=True, default=b"", db_default=b"")
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="events",
                             db_index=False)  # events_by_grid leads with it
    # The command center responsible now: the grid's street, or higher after escalation.
    command_area = models.ForeignKey(
        "grids.Area", verbose_name=_("command center"), on_delete=models.PROTECT, related_name="commanded_events",
        db_index=False,  # events_by_command leads with it
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="events",
                                 db_index=False)  # events_by_category leads with it
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(_("description"))
    extra = models.JSONField(_("extra fields"), default=dict, blank=True)

    state = models.CharField(_("state"), max_length=16, default="reported")
    is_onsite = models.BooleanField(_("resolved on site"), default=False)
    is_suspended = models.BooleanField(_("suspended"), default=False)
    is_supervised = models.BooleanField(_("supervised"), default=False)
    supervise_count = models.PositiveIntegerField(_("supervisions"), default=0)
    rework_count = models.PositiveIntegerField(_("reworks"), default=0)
    postpone_count = models.PositiveIntegerField(_("postponements"), default=0)
    return_count = models.PositiveIntegerField(_("returns"), default=0)
    escalation_level = models.PositiveIntegerField(_("escalations"), default=0)
    was_overdue = models.BooleanField(_("was overdue"), default=False)
    light = models.CharField(_("traffic light"), max_length=8, choices=Light.choices, default=Light.GREEN)
    due_at = models.DateTimeField(_("current stage due"), null=True, blank=True)
    # When the light turns yellow and red by the clock (the earliest warning and due time
    # of running timers not yet there), so pages show the light of now, not of the last sweep.
    yellow_at = models.DateTimeField(_("turns yellow at"), null=True, blank=True)
    red_at = models.DateTimeField(_("turns red at"), null=True, blank=True)
    # An earlier deadline for handling set by the dispatcher (派遣时限要求); the handling
    # timer never runs past it.
    handle_by = models.DateTimeField(_("to be handled by"), null=True, blank=True)

    # These three are empty on most rows: their indexes are partial (Meta.indexes).
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("possible duplicate of"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_events",
        db_index=False,
    )
    primary_department = models.ForeignKey(
        "accounts.Department", verbose_name=_("primary department"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="primary_events", db_index=False,  # events_by_department leads with it
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handler"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="handled_events", db_index=False,
    )
    result = models.TextField(_("handling result"), blank=True)
    closure_type = models.CharField(_("closure type"), max_length=16, choices=ClosureType.choices, blank=True)
    rating = models.CharField(_("rating"), max_length=24, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    evaluation = models.TextField(_("evaluation"), blank=True)
    # Secret of the rating link sent to the reporter (no account needed); set only while
    # the event waits for its rating, so unique where set (Meta.constraints).
    rating_token = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: no link)
    # What a resident who reported on the public page follows the case with (no account);
    # set only on residents' reports, unique where set (Meta.constraints).
    tracking_code = models.CharField(_("tracking code"), max_length=16, null=True, blank=True, editable=False)  # noqa: DJ001
    # A client-chosen key: a retried submission returns the first event. Unique per
    # reporter (per client), so one client's key says nothing about another's.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: no key)
    # Frozen copy of the dossier, written when the event is archived.
    dossier = models.JSONField(_("dossier"), null=True, blank=True, editable=False)

    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-reported_at", "-id"]
        # Every index is paid for by every filing and most transitions: a foreign key
        # that one of these composite indexes leads with has no index of its own.
        indexes = [
            models.Index(fields=["state", "-reported_at"], name="events_by_state"),
            models.Index(fields=["grid", "-reported_at"], name="events_by_grid"),
            models.Index(fields=["command_area", "state"], name="events_by_command"),
            models.Index(fields=["category", "-reported_at"], name="events_by_category"),
            models.Index(fields=["primary_department", "state"], name="events_by_department"),
            models.Index(fields=["reporter", "-reported_at"], name="events_by_reporter"),
            # The hot-spot analysis (assessment.analytics): events of a period by position.
            models.Index(fields=["latitude", "longitude"], name="events_by_position",
                         condition=Q(latitude__isnull=False)),
            # The duplicate check at filing (``events.selectors.open_events_near``): open
            # events of one small class near a point; partial, so a closed event leaves it.
            models.Index(fields=["category", "latitude", "longitude"], include=["reported_at"], name="events_open_near",
                         condition=Q(state__in=OPEN_STATES, latitude__isnull=False)),
            # The dashboard's closures per day and departments' results per period.
            models.Index(fields=["closed_at"], name="events_by_closed", condition=Q(closed_at__isnull=False)),
            models.Index(fields=["handled_at"], name="events_by_handled", condition=Q(handled_at__isnull=False)),
            # Foreign keys empty on most rows: a row without one adds no index entry (an
            # event's update is never HOT, so each of its versions pays every index).
            models.Index(fields=["handler"], name="events_by_handler", condition=Q(handler__isnull=False)),
            models.Index(fields=["duplicate_of"], name="events_by_duplicate_of", condition=Q(duplicate_of__isnull=False)),
            models.Index(fields=["merged_into"], name="events_by_merged_into", condition=Q(merged_into__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(name="events_latitude_range", condition=Q(latitude__gte=-90, latitude__lte=90) | Q(latitude__isnull=True)),
            models.CheckConstraint(name="events_longitude_range", condition=Q(longitude__gte=-180, longitude__lte=180) | Q(longitude__isnull=True)),
            models.UniqueConstraint(fields=["reporter", "idempotency_key"], name="events_idempotency_per_reporter",
                                    condition=Q(reporter__isnull=False, idempotency_key__isnull=False)),
            # Public reports (no account) use keys the server makes for each draft.
            models.UniqueConstraint(fields=["idempotency_key"], name="events_idempotency_public",
                                    condition=Q(reporter__isnull=True, idempotency_key__isnull=False)),
            # Looked up by equality only, so without the text-pattern twin that a unique
            # field would add.
            models.UniqueConstraint(fields=["rating_token"], name="events_rating_token_unique",
                                    condition=Q(rating_token__isnull=False)),
            models.UniqueConstraint(fields=["tracking_code"], name="events_tracking_code_unique",
                                    condition=Q(tracking_code__isnull=False)),
        ]
        permissions = [("view_event_as_department", "Can view an event dispatched to the department")]

    def __str__(self):
        return f"{self.code} {self.category.name if self.category_id else ''}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("events:detail", args=[self.pk])

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def light_at(self, now=None) -> str:
        """The traffic light at ``now``: the swept light, or worse when a warning or due
        time has passed since the last sweep."""
        now = now or timezone.now()
        if self.light == Light.RED or (self.red_at is not None and self.red_at <= now):
            return Light.RED
        if self.light == Light.YELLOW or (self.yellow_at is not None and self.yellow_at <= now):
            return Light.YELLOW
        return Light.GREEN

    @property
    def light_now(self) -> str:
        return self.light_at()

    def get_light_now_display(self) -> str:
        return str(Light(self.light_now).label)


def light_filter(light: str, now) -> Q:
    """Events whose light at ``now`` (``Event.light_at``) is ``light``, as a query."""
    red = Q(light=Light.RED) | Q(red_at__lte=now)
    yellow = ~red & (Q(light=Light.YELLOW) | Q(yellow_at__lte=now))
    return {Light.RED: red, Light.YELLOW: yellow}.get(light, ~red & ~yellow)


# Object-level access to one event (django-guardian, direct foreign keys so the scoping
# query joins by index instead of casting ids to text). Dispatch grants the departments'
# groups ``events.view_event`` on the event. Each grant carries its event's ``reported_at``
# (set once at filing, never changed): a list of what a department may read is walked in
# that order on the grants' own index (``accounts.visible_pages``) instead of passing over
# the events it may not read. Writers set it; on PostgreSQL a trigger (migration 0012)
# fills it for one that did not (django-guardian's bulk helpers), elsewhere ``save`` does.
class _FillsReportedAt:
    def save(self, *args, **kwargs):
        if self.reported_at is None:  # a grant made one at a time (django-guardian's assign_perm)
            self.reported_at = self.content_object.reported_at
        super().save(*args, **kwargs)


class EventUserObjectPermission(_FillsReportedAt, UserObjectPermissionBase):
    content_object = models.ForeignKey(Event, on_delete=models.CASCADE)
    reported_at = models.DateTimeField(_("reported at"), editable=False)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
        indexes = [models.Index(fields=["user", "permission", "-reported_at", "-content_object"], name="events_user_grant_newest")]


class EventGroupObjectPermission(_FillsReportedAt, GroupObjectPermissionBase):
    content_object = models.ForeignKey(Event, on_delete=models.CASCADE)
    reported_at = models.DateTimeField(_("reported at"), editable=False)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        indexes = [models.Index(fields=["group", "permission", "-reported_at", "-content_object"], name="events_group_grant_newest")]


class DepartmentRole(models.TextChoices):
    PRIMARY = "primary", _("Primary")  # 主办
    ASSISTING = "assisting", _("Assisting")  # 协办


class EventDepartment(models.Model):
    """A department's part in an event, from dispatch until return/escalation/close."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="event_assignments")
    role = models.CharField(_("role"), max_length=12, choices=DepartmentRole.choices)
    assigned_at = models.DateTimeField(_("assigned at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("department assignment")
        verbose_name_plural = _("department assignments")
        constraints = [
            models.UniqueConstraint(fields=["event", "department"], condition=Q(ended_at__isnull=True),
                                    name="events_one_active_assignment"),
        ]

    def __str__(self):
        return f"{self.department_id} {self.role}"


class AttachmentStage(models.TextChoices):
    REPORT = "report", _("Report")  # 上报
    FEEDBACK = "feedback", _("Handling result")  # 处置反馈
    VERIFY = "verify", _("Verification")  # 核查
    ONSITE = "onsite", _("Resolved on site")  # 就地解决


def _attachment_path(instance, filename):
    return f"events/{instance.event.reported_at:%Y/%m}/{instance.event.code}/{filename}"


class Attachment(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attachments")
    stage = models.CharField(_("stage"), max_length=12, choices=AttachmentStage.choices, default=AttachmentStage.REPORT)
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=255)
    thumbnail = models.FileField(_("thumbnail"), upload_to=_attachment_path, max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size"))
    is_image = models.BooleanField(_("image"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class EventSequence(models.Model):
    """Last sequence number used for event codes of one day (codes are YYYYMMDD + 6 digits)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}: {self.last}"
