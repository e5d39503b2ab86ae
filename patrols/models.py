"""Grid patrols (网格巡查, DESIGN §7b): the patrol checklist as versioned data, patrol
rounds with their GPS track, the items checked at objects, the findings filed as
events, and the slots (item × object × period) that coverage counts.

Every row that belongs to a place keeps its grid (``grid``), so scoping is one indexed
prefix query on ``grid__path`` (``accounts.scoping``). Writes go through
``patrols.services``; reads through ``patrols.selectors`` and ``patrols.plans``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bilingual:
    @property
    def label(self) -> str:
        language = (get_language() or "zh-hans").lower()
        return self.name_en if language.startswith("en") and self.name_en else self.name


# --- Checklist ---------------------------------------------------------------------------------


class Target(models.TextChoices):
    # What an item is checked at. "grid": once for the whole grid; the others once per object.
    GRID = "grid", _("The whole grid")  # 网格全域
    BUILDING = "building", _("Each building")  # 楼栋
    RENTAL = "rental", _("Each rental room")  # 出租房屋
    KEY_PLACE = "key_place", _("Each key place")  # 重点场所
    SHOP = "shop", _("Each shop")  # 沿街商铺 (rooms in commercial use)
    SPECIAL = "special", _("Each special-group household")  # 特殊人群户


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")  # 每日
    WEEKLY = "weekly", _("Weekly")  # 每周
    MONTHLY = "monthly", _("Monthly")  # 每月
    QUARTERLY = "quarterly", _("Quarterly")  # 每季度


class PatrolClass(Bilingual, models.Model):
    """巡查类别: e.g. 消防安全."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("patrol class")
        verbose_name_plural = _("patrol classes")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class PatrolItem(models.Model):
    """巡查事项: the stable identity of an item. What it says lives in its versions; a
    revision adds a version, so past checks keep the text they were done against."""

    patrol_class = models.ForeignKey(PatrolClass, verbose_name=_("patrol class"), on_delete=models.PROTECT, related_name="items")
    code = models.CharField(_("code"), max_length=12, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    current = models.ForeignKey("PatrolItemVersion", verbose_name=_("current version"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("patrol item")
        verbose_name_plural = _("patrol items")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.code} {self.current.name if self.current_id else ''}"


class PatrolItemVersion(Bilingual, models.Model):
    item = models.ForeignKey(PatrolItem, verbose_name=_("patrol item"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    guidance = models.TextField(_("what to look at"))
    target = models.CharField(_("checked at"), max_length=12, choices=Target.choices)
    # Key places: the kinds of place (residents.PlaceKind); special groups: the groups
    # (residents.SpecialGroup) it applies to. Empty: every kind.
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    frequency = models.CharField(_("how often"), max_length=12, choices=Frequency.choices)
    default_category = models.ForeignKey("events.Category", verbose_name=_("default small class"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("patrol item version")
        verbose_name_plural = _("patrol item versions")
        ordering = ["item", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="patrols_one_version_number")]

    def __str__(self):
        return f"{self.item.code} v{self.number} {self.name}"


# --- Rounds ------------------------------------------------------------------------------------


class RoundStatus(models.TextChoices):
    OPEN = "open", _("In progress")  # 巡查中
    ENDED = "ended", _("Ended")  # 已结束


class PatrolRound(models.Model):
    """巡查记录: one walk of a grid by a worker, kept whole (track, checks, findings)."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.PROTECT,
                               related_name="patrol_rounds")
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="patrol_rounds")
    status = models.CharField(_("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The browser's key for the start request: a replayed start returns the same round.
    client_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    # Kept current as track batches arrive (patrols.track).
    point_count = models.PositiveIntegerField(_("track points"), default=0)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    last_point_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_lat = models.FloatField(null=True, blank=True, editable=False)
    last_lon = models.FloatField(null=True, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("patrol round")
        verbose_name_plural = _("patrol rounds")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["grid", "started_at"], name="patrols_round_grid_start"),
            models.Index(fields=["worker", "started_at"], name="patrols_round_worker_start"),
        ]
        constraints = [
            models.CheckConstraint(name="patrols_round_end_after_start",
                                   condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at"))),
            models.UniqueConstraint(fields=["worker"], condition=Q(status="open"), name="patrols_one_open_round_per_worker"),
        ]

    def __str__(self):
        return f"{self.worker_id} {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("patrols:round", args=[self.pk])

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000

    @property
    def duration_seconds(self) -> float:
        if self.ended_at is None:
            return 0.0
        return (self.ended_at - self.started_at).total_seconds()


class TrackPoint(models.Model):
    """A GPS fix as the phone gave it: gaps and poor accuracy are kept, never filled in.
    A fix is identified by its round and time, so a replayed batch adds nothing."""

    id = models.BigAutoField(primary_key=True)
    round = models.ForeignKey(PatrolRound, on_delete=models.CASCADE, related_name="points", db_index=False)
    at = models.DateTimeField(_("recorded at"))
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        ordering = ["round", "at"]
        constraints = [models.UniqueConstraint(fields=["round", "at"], name="patrols_one_point_per_instant")]

    def __str__(self):
        return f"{self.round_id} {self.at:%H:%M:%S} {self.lat:.6f},{self.lon:.6f}"


class CheckResult(models.TextChoices):
    DONE = "done", _("Checked, no problem")  # 正常
    PROBLEM = "problem", _("Problem found")  # 发现问题
    NOT_APPLICABLE = "na", _("Not applicable")  # 不适用


class PatrolCheck(models.Model):
    """One item checked at one object during a round, against the item's version of the day."""

    id = models.BigAutoField(primary_key=True)
    round = models.ForeignKey(PatrolRound, verbose_name=_("patrol round"), on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(PatrolItem, verbose_name=_("patrol item"), on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(PatrolItemVersion, verbose_name=_("item version"), on_delete=models.PROTECT, related_name="+")
    object_kind = models.CharField(_("object kind"), max_length=12, choices=Target.choices)
    # The building, room, key place or resident id; the grid's own id for whole-grid items.
    object_id = models.BigIntegerField(_("object"))
    object_label = models.CharField(_("object"), max_length=120, blank=True)
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+", db_index=False)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked at"))
    # First day of the item's period (day, week, month, quarter) the check falls in.
    period_start = models.DateField(_("period"))
    result = models.CharField(_("result"), max_length=8, choices=CheckResult.choices)
    note = models.TextField(_("note"), blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    client_key = models.CharField(_("idempotency key"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("item check")
        verbose_name_plural = _("item checks")
        ordering = ["checked_at", "id"]
        indexes = [models.Index(fields=["grid", "checked_at"], name="patrols_check_grid_time")]

    def __str__(self):
        return f"{self.item_id}@{self.object_kind}:{self.object_id} {self.result}"


class CheckPhoto(models.Model):
    item_check = models.ForeignKey(PatrolCheck, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to="patrols/%Y/%m/")
    original_name = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("check photo")
        verbose_name_plural = _("check photos")

    def __str__(self):
        return self.original_name


class PatrolSlot(models.Model):
    """An item's due slot (item × object × period) that has been checked: written by the
    first check of the slot (``INSERT … ON CONFLICT DO NOTHING``), so coverage counts
    slots without looking at every check, and two checks of one slot count once."""

    id = models.BigAutoField(primary_key=True)
    item = models.ForeignKey(PatrolItem, on_delete=models.CASCADE, related_name="+")
    object_kind = models.CharField(max_length=12, choices=Target.choices)
    object_id = models.BigIntegerField()
    period_start = models.DateField()
    grid = models.ForeignKey("grids.Area", on_delete=models.PROTECT, related_name="+", db_index=False)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False)
    first_checked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("checked slot")
        verbose_name_plural = _("checked slots")
        constraints = [models.UniqueConstraint(fields=["item", "object_kind", "object_id", "period_start"],
                                               name="patrols_one_slot")]
        indexes = [
            models.Index(fields=["grid", "period_start"], name="patrols_slot_grid_period"),
            models.Index(fields=["worker", "period_start"], name="patrols_slot_worker_period"),
        ]

    def __str__(self):
        return f"{self.item_id}@{self.object_kind}:{self.object_id} {self.period_start}"


class PatrolFinding(models.Model):
    """A problem found on a round and filed as an event (channel ``patrol``)."""

    round = models.ForeignKey(PatrolRound, verbose_name=_("patrol round"), on_delete=models.CASCADE, related_name="findings")
    item_check = models.ForeignKey(PatrolCheck, verbose_name=_("item check"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="findings")
    event = models.OneToOneField("events.Event", verbose_name=_("event"), on_delete=models.PROTECT, related_name="patrol_finding")
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+", db_index=False)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("filed at"))

    class Meta:
        verbose_name = _("patrol finding")
        verbose_name_plural = _("patrol findings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["grid", "created_at"], name="patrols_finding_grid_time")]

    def __str__(self):
        return f"{self.round_id} → {self.event_id}"
