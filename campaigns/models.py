"""Door-to-door campaigns (专项排查, DESIGN §7b).

A campaign is created on a node of the tree with a period, a target population and a
form (fields as data, ``campaigns.formspec``). Publishing turns the population, as the
registry holds it at that moment, into one ``Target`` row per household, building,
rental room, key place or special-group member, each with its grid and grid worker.
Every visit or "nobody home" is an ``Answer`` (idempotency key unique), and the
``Progress`` rows keep the counters of every grid and of its workers, changed in the
same transaction as the target they count; the nodes above are summed from them.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TargetKind(models.TextChoices):
    HOUSEHOLD = "household", _("Every household")  # 每户
    BUILDING = "building", _("Every building")  # 每栋楼
    RENTAL_ROOM = "rental_room", _("Every rental room")  # 出租房屋
    KEY_PLACE = "key_place", _("Key places of the chosen kinds")  # 重点场所
    SPECIAL_GROUP = "special_group", _("Members of the chosen special groups")  # 特殊人群


class CampaignState(models.TextChoices):
    # Being prepared; no targets yet.
    DRAFT = "draft", _("Draft")
    # Targets created; grid workers visit them.
    PUBLISHED = "published", _("Published")
    # Past its end date (or closed by hand); late answers only if the campaign allows them.
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    area = models.ForeignKey("grids.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("instructions"), blank=True)
    target_kind = models.CharField(_("targets"), max_length=16, choices=TargetKind.choices)
    # Key place kinds (residents.PlaceKind) for key-place campaigns; empty: every kind.
    place_kinds = models.JSONField(_("key place kinds"), default=list, blank=True)
    # Special groups (residents.SpecialGroup) for special-group campaigns.
    groups = models.JSONField(_("special groups"), default=list, blank=True)
    # The form: a list of fields (campaigns.formspec); its version goes up with each change.
    form = models.JSONField(_("form"), default=list)
    form_version = models.PositiveIntegerField(_("form version"), default=1)
    # The small class a problem is filed as (a field may name its own).
    problem_category = models.ForeignKey(
        "events.Category", verbose_name=_("problems are filed as"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    allow_late = models.BooleanField(_("accept late answers"), default=False)
    state = models.CharField(_("state"), max_length=12, choices=CampaignState.choices, default=CampaignState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("targets refreshed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(name="campaigns_ends_after_start", condition=Q(ends_on__gte=F("starts_on"))),
        ]
        indexes = [models.Index(fields=["state", "ends_on"], name="campaigns_state_end")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaigns:detail", args=[self.pk])


class FormVersion(models.Model):
    """Each version of a campaign's form, kept: answers name the version they were given
    against, and the ledger still shows the answers to fields a later version dropped."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="form_versions")
    version = models.PositiveIntegerField(_("form version"))
    form = models.JSONField(_("form"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
                           related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [models.UniqueConstraint(fields=["campaign", "version"], name="campaigns_form_version_once")]

    def __str__(self):
        return f"{self.campaign_id} v{self.version}"


class TargetStatus(models.TextChoices):
    PENDING = "pending", _("Not yet visited")  # 未走访
    NOT_HOME = "not_home", _("Nobody home")  # 无人在家, to come back
    DONE = "done", _("Visited")  # 已走访
    MOVED_OUT = "moved_out", _("Moved out")  # 已迁出 (after publishing)


class Target(models.Model):
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="targets",
                                 db_index=False)
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    # The primary key of the household, building, room, key place or resident.
    object_id = models.BigIntegerField()
    # The building it is in (households, rooms, buildings, residents), for the worker's filter.
    building_id = models.BigIntegerField(null=True, blank=True)
    label = models.CharField(_("target"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=TargetStatus.choices, default=TargetStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    problem = models.BooleanField(_("problem found"), default=False)
    late = models.BooleanField(_("late"), default=False)
    event = models.ForeignKey("events.Event", verbose_name=_("event"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    last_answer = models.ForeignKey("Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["label", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "object_id"], name="campaigns_target_unique")]
        indexes = [
            models.Index(fields=["campaign", "grid", "status"], name="campaigns_target_grid"),
            models.Index(fields=["campaign", "worker", "status"], name="campaigns_target_worker"),
        ]

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return reverse("campaigns:target", args=[self.pk])


class Outcome(models.TextChoices):
    VISITED = "visited", _("Visited")
    NOT_HOME = "not_home", _("Nobody home")


class Answer(models.Model):
    """One visit or attempt: who, when, where, with which form version. Never changed;
    a second visit of the same target is a new answer and becomes the target's result."""

    target = models.ForeignKey(Target, verbose_name=_("target"), on_delete=models.CASCADE, related_name="answers")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    values = models.JSONField(_("answers"), default=dict, blank=True)
    # Codes of the fields whose answer counts as a problem.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    form_version = models.PositiveIntegerField(_("form version"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("received at"))
    # When the worker recorded it on the phone (an answer queued offline arrives later).
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    late = models.BooleanField(_("late"), default=False)
    idempotency_key = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("campaign answer")
        verbose_name_plural = _("campaign answers")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.target} {self.get_outcome_display()}"


class AnswerFile(models.Model):
    """A photo or signature given with an answer."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="files")
    field = models.CharField(_("field"), max_length=40)
    file = models.FileField(_("file"), upload_to="campaigns/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=60)

    class Meta:
        verbose_name = _("answer file")
        verbose_name_plural = _("answer files")

    def __str__(self):
        return self.original_name


# The counters a ``Progress`` row keeps.
COUNTERS = ("targets", "visited", "not_home", "problems", "events", "moved_out")


class Progress(models.Model):
    """The counters of one grid (worker empty) or of one worker in one grid, for one
    campaign. Kept by ``campaigns.counters`` in the transaction that changes a target,
    so the progress pages read a few rows instead of counting targets; the nodes above
    the grids are the sums of their grids' rows (``campaigns.selectors``). Rows built
    by hand for those nodes (``selectors.progress_rows``) are never saved."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="progress", db_index=False)
    area = models.ForeignKey("grids.Area", on_delete=models.CASCADE, related_name="+")
    # The node's path and depth, copied so a subtree or one level is an index range.
    path = models.CharField(max_length=255)
    depth = models.PositiveSmallIntegerField()
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    targets = models.IntegerField(default=0)
    visited = models.IntegerField(default=0)
    not_home = models.IntegerField(default=0)
    problems = models.IntegerField(default=0)
    events = models.IntegerField(default=0)
    moved_out = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("campaign progress")
        verbose_name_plural = _("campaign progress")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "area"], condition=Q(worker__isnull=True),
                                    name="campaigns_progress_node"),
            models.UniqueConstraint(fields=["campaign", "area", "worker"], condition=Q(worker__isnull=False),
                                    name="campaigns_progress_worker"),
        ]
        indexes = [models.Index(fields=["campaign", "path"], name="campaigns_progress_path",
                                opclasses=["int8_ops", "varchar_pattern_ops"])]

    def __str__(self):
        return f"{self.campaign_id} {self.path} {self.worker_id or ''}"

    @property
    def due(self) -> int:
        """Targets still to visit (moved-out ones are not due)."""
        return self.targets - self.moved_out

    @property
    def share_done(self) -> float:
        return self.visited / self.due if self.due > 0 else 1.0


class Reminder(models.Model):
    """One reminder per worker, campaign and day, so the reminder task can run twice."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "worker", "day"], name="campaigns_reminder_once")]

    def __str__(self):
        return f"{self.campaign_id} {self.worker_id} {self.day}"


class RefreshDue(models.Model):
    """A grid whose population changed (a move in or out, a tag, a key place) since the
    published campaigns over it were last refreshed; written in the transaction of the
    change, deleted by the sweep that refreshes them (``campaigns.refresh``)."""

    grid = models.ForeignKey("grids.Area", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.grid_id} {self.at}"
