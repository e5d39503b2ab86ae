"""Assessment records (DESIGN §7): ratio definitions and score formulas as data, frozen
snapshots of a period's results, grid-worker points, two-way evaluations between grid
workers and community police, and root-cause tasks filed for hotspots.

Ratios are computed by ``assessment.selectors`` (one aggregate query per unit kind);
every write goes through ``assessment.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.names import Bilingual


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("Department")  # 职能部门
    STREET = "street", _("Street / township")  # 街道/乡镇
    COMMUNITY = "community", _("Community / village")  # 社区/村
    GRID = "grid", _("Grid")  # 网格
    WORKER = "worker", _("Grid worker")  # 网格员


AREA_UNIT_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


class RatioDefinition(Bilingual, models.Model):
    """A performance ratio (考核指标) as data: the denominator and the numerator are filter
    specs over events and their stage results (``assessment.specs``, an allow-list of
    fields and lookups); the numerator counts among the denominator's events."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    denominator = models.JSONField(_("denominator filter"))
    numerator = models.JSONField(_("numerator filter"))
    weight = models.FloatField(_("weight"), default=1.0)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ratio definition")
        verbose_name_plural = _("ratio definitions")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        from django.core.exceptions import ValidationError

        from assessment.specs import SpecError, patrol_measure, spec_check

        errors = {}
        for field in ("denominator", "numerator"):
            try:
                spec_check(getattr(self, field))
            except SpecError as error:
                errors[field] = str(error)
        if not errors and (patrol_measure(self.numerator) is None) != (patrol_measure(self.denominator) is None):
            errors["numerator"] = _("A patrol ratio counts patrol measures in both its numerator and its denominator.")
        if errors:
            raise ValidationError(errors)


class ScoreFormula(Bilingual, models.Model):
    """A composite score: the weighted sum of ratios, e.g. 按期处置率×60 + 结案率×30 +
    (1−返工率)×10. ``terms`` is a list of ``{"ratio": code, "weight": number,
    "invert": bool}`` (``invert`` scores 1 − ratio, for ratios where lower is better)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    terms = models.JSONField(_("terms"))
    is_default = models.BooleanField(_("default"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("score formula")
        verbose_name_plural = _("score formulas")
        ordering = ["-is_default", "code"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="assessment_one_default_formula")]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        from django.core.exceptions import ValidationError

        from assessment.specs import SpecError, terms_check

        try:
            terms_check(self.terms)
        except SpecError as error:
            raise ValidationError({"terms": str(error)}) from None


class PeriodKind(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    RANGE = "range", _("Date range")


class Snapshot(models.Model):
    """The frozen results of one closed period: every unit's numerators, denominators,
    score and rank, with copies of the definitions and the formula used. Later edits to
    events or definitions do not change it."""

    period_kind = models.CharField(_("period kind"), max_length=8, choices=PeriodKind.choices)
    label = models.CharField(_("period"), max_length=40)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    # Copies of what the figures were computed with: [{"code", "name", "name_en", "denominator", "numerator", …}]
    definitions = models.JSONField(_("ratio definitions"))
    formula = models.JSONField(_("score formula"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    seconds = models.FloatField(_("computed in (s)"), default=0)

    class Meta:
        verbose_name = _("assessment snapshot")
        verbose_name_plural = _("assessment snapshots")
        ordering = ["-start", "-end"]
        constraints = [
            models.UniqueConstraint(fields=["start", "end"], name="assessment_one_snapshot_per_period"),
            models.CheckConstraint(name="assessment_snapshot_period_order", condition=Q(end__gte=models.F("start"))),
        ]

    def __str__(self):
        return self.label


class SnapshotRow(models.Model):
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="rows")
    unit_kind = models.CharField(_("unit kind"), max_length=12, choices=UnitKind.choices)
    # An area, department or user id (the unit may later be renamed or removed).
    unit_id = models.BigIntegerField(_("unit id"))
    unit_code = models.CharField(_("code"), max_length=40, blank=True)
    unit_name = models.CharField(_("name"), max_length=100)
    # {ratio code: [numerator, denominator]}
    counts = models.JSONField(_("counts"))
    score = models.FloatField(_("score"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)

    class Meta:
        verbose_name = _("snapshot row")
        verbose_name_plural = _("snapshot rows")
        ordering = ["snapshot", "unit_kind", "rank", "unit_code"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "unit_kind", "unit_id"], name="assessment_one_row_per_unit")]

    def __str__(self):
        return f"{self.snapshot} {self.unit_name}"


class PointSource(models.TextChoices):
    VALID_REPORT = "valid_report", _("Valid report")  # 有效上报
    VERIFICATION = "verification", _("Verification")  # 核查
    CARE_VISIT = "care_visit", _("Care visit")  # 走访关爱对象
    PATROL = "patrol", _("Patrol of a key place")  # 重点场所巡查
    PATROL_ROUND = "patrol_round", _("Patrol round")  # 网格巡查 (an ended round)
    PATROL_FINDING = "patrol_finding", _("Valid patrol finding")  # 有效巡查发现
    REJECTED_REPORT = "rejected_report", _("Rejected report")  # 无效上报
    LATE_VERIFICATION = "late_verification", _("Late verification")  # 超时核查


class PointRule(Bilingual, models.Model):
    """Points (积分) a grid worker earns (or loses, with negative points) per item of
    work of one kind."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80)
    source = models.CharField(_("counts"), max_length=24, choices=PointSource.choices)
    points = models.IntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["source", "code"]
        constraints = [models.CheckConstraint(name="assessment_points_not_zero", condition=~Q(points=0))]

    def __str__(self):
        return f"{self.name} ({self.points:+d})"


class PointEntry(models.Model):
    """Points for one item of work under one rule: one entry per source object and
    rule (a unique constraint), so awarding twice adds nothing."""

    rule = models.ForeignKey(PointRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.CASCADE,
                             related_name="point_entries")
    # The event, timeline entry, care visit or inspection the points are for.
    source_id = models.BigIntegerField(_("source"))
    points = models.IntegerField(_("points"))
    at = models.DateTimeField(_("at"))
    # First day of the local month of ``at`` (monthly rankings group by it).
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("point entry")
        verbose_name_plural = _("point entries")
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "source_id"], name="assessment_one_entry_per_source")]
        indexes = [models.Index(fields=["month", "user"], name="assessment_points_by_month")]

    def __str__(self):
        return f"{self.user_id} {self.points:+d}"


class PointMark(models.Model):
    """How far the point awards of one rule have read its source table (a high-water
    mark): the next run reads only rows above ``through_id`` (docs/assessment.md)."""

    rule = models.OneToOneField(PointRule, verbose_name=_("rule"), on_delete=models.CASCADE, primary_key=True,
                                related_name="mark")
    # Every row of the source table up to this id has been awarded (None: nothing read yet).
    through_id = models.BigIntegerField(_("read through id"), null=True, blank=True)
    swept_at = models.DateTimeField(_("swept at"))

    class Meta:
        verbose_name = _("point award mark")
        verbose_name_plural = _("point award marks")

    def __str__(self):
        return f"{self.rule_id} ≤ {self.through_id}"


class EvaluationDirection(models.TextChoices):
    WORKER_RATES_POLICE = "worker_police", _("Grid worker rates the community police officer")  # 网格员评民警
    POLICE_RATES_WORKER = "police_worker", _("Community police officer rates the grid worker")  # 民警评网格员


class EvaluationGrade(models.IntegerChoices):
    EXCELLENT = 4, _("Excellent")  # 优秀
    GOOD = 3, _("Good")  # 良好
    PASS = 2, _("Satisfactory")  # 合格
    FAIL = 1, _("Unsatisfactory")  # 不合格


class TwoWayEvaluation(models.Model):
    """双向评议: a grid worker and the community police officer of the same grid rate
    each other once per month."""

    month = models.DateField(_("month"))
    direction = models.CharField(_("direction"), max_length=16, choices=EvaluationDirection.choices)
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("evaluator"), on_delete=models.CASCADE,
                                  related_name="evaluations_given")
    evaluatee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("evaluated"), on_delete=models.CASCADE,
                                  related_name="evaluations_received")
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    grade = models.PositiveSmallIntegerField(_("grade"), choices=EvaluationGrade.choices)
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("two-way evaluation")
        verbose_name_plural = _("two-way evaluations")
        ordering = ["-month", "grid", "direction"]
        constraints = [models.UniqueConstraint(fields=["month", "evaluator", "evaluatee"], name="assessment_one_evaluation_per_month")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.evaluator_id}→{self.evaluatee_id}: {self.grade}"


class HotspotTask(models.Model):
    """A root-cause task (溯源治理): a new event filed for a hotspot, linked to the
    repeated events that made it one."""

    event = models.OneToOneField("events.Event", verbose_name=_("root-cause event"), on_delete=models.PROTECT,
                                 related_name="hotspot_task")
    category = models.ForeignKey("events.Category", verbose_name=_("small class"), on_delete=models.PROTECT, related_name="+")
    radius_metres = models.PositiveIntegerField(_("radius (m)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))
    repeats = models.ManyToManyField("events.Event", verbose_name=_("repeated events"), through="HotspotLink",
                                     related_name="hotspot_tasks")

    class Meta:
        verbose_name = _("hotspot task")
        verbose_name_plural = _("hotspot tasks")
        ordering = ["-created_at"]

    def __str__(self):
        return str(self.event_id)


class HotspotLink(models.Model):
    task = models.ForeignKey(HotspotTask, on_delete=models.CASCADE, related_name="links")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("hotspot link")
        verbose_name_plural = _("hotspot links")
        constraints = [models.UniqueConstraint(fields=["task", "event"], name="assessment_one_link_per_event")]

    def __str__(self):
        return f"{self.task_id} → {self.event_id}"
