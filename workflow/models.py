"""Workflow records: the timeline, change requests, SLA policies, the work calendar,
timers and notifications (DESIGN §5–§6). The state machine itself is declared in
``workflow.machine``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from events.models import Urgency


class TimelineEntry(models.Model):
    """One transition of one event: written in the transaction that made it."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who acted when there is no account: "system" (timers) or "reporter" (rating link).
    actor_kind = models.CharField(_("actor kind"), max_length=12, default="user")
    transition = models.CharField(_("transition"), max_length=32)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["event", "at"], name="workflow_timeline_by_event")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.transition}"

    @property
    def label(self) -> str:
        from workflow.machine import MACHINE

        if self.transition == "merged_here":
            return _("Another event merged into this one")
        if self.transition == "deadlines_recomputed":
            return _("Deadlines recomputed (work calendar changed)")
        transition = MACHINE.get(self.transition)
        return transition.label if transition else self.transition

    @property
    def actor_label(self) -> str:
        return {"system": _("System (timer)"), "reporter": _("Reporter")}.get(self.actor_kind, "")


class RequestKind(models.TextChoices):
    POSTPONE = "postpone", _("Postponement")  # 延期
    SUSPEND = "suspend", _("Suspension")  # 挂起


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class ChangeRequest(models.Model):
    """A department's request for more time or to suspend the case, decided by the
    command center."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(_("kind"), max_length=12, choices=RequestKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    reason = models.TextField(_("reason"))
    # Postponement: the extra time asked for (amount + unit, see TimeUnit).
    amount = models.PositiveIntegerField(_("amount"), null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "kind"], condition=Q(status="pending"), name="workflow_one_pending_request"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class Stage(models.TextChoices):
    ACCEPT = "accept", _("Accept")  # 受理
    DISPATCH = "dispatch", _("Dispatch")  # 派遣
    SIGN = "sign", _("Sign")  # 签收
    HANDLE = "handle", _("Handle")  # 处置
    VERIFY = "verify", _("Verify")  # 核查
    TOTAL = "total", _("Total")  # 全程


class TimeUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")  # 分钟 (wall clock)
    WORK_HOURS = "work_hours", _("working hours")  # 工作时
    WORK_DAYS = "work_days", _("working days")  # 工作日
    DAYS = "days", _("calendar days")  # 自然日


class SLAPolicy(models.Model):
    category = models.ForeignKey("events.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="sla_policies")
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    # Share of a stage's limit after which its timer turns yellow (blank: the setting).
    warning_share = models.FloatField(_("warning at share of limit"), null=True, blank=True)
    # After the deadline, a further share of the limit after which the case escalates.
    escalation_share = models.FloatField(_("escalate after further share of limit"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [models.UniqueConstraint(fields=["category", "urgency"], name="workflow_one_policy_per_urgency")]

    def __str__(self):
        return f"{self.category} · {self.get_urgency_display()}"


class SLALimit(models.Model):
    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="limits")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("stage limit")
        verbose_name_plural = _("stage limits")
        constraints = [
            models.UniqueConstraint(fields=["policy", "stage"], name="workflow_one_limit_per_stage"),
            models.CheckConstraint(name="workflow_limit_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self):
        return f"{self.get_stage_display()}: {self.amount} {self.get_unit_display()}"


class WorkCalendar(models.Model):
    """The working time of the city: periods per weekday, holidays and make-up workdays."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    # Make-up workdays (调休上班) follow the periods of this weekday (0 = Monday).
    makeup_weekday = models.PositiveSmallIntegerField(_("make-up days work like weekday"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work calendar")
        verbose_name_plural = _("work calendars")
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="workflow_one_default_calendar")]

    def __str__(self):
        return self.name


class WorkingPeriod(models.Model):
    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=[
        (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
        (5, _("Saturday")), (6, _("Sunday")),
    ])
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["weekday", "start"]
        constraints = [models.CheckConstraint(name="workflow_period_positive", condition=Q(end__gt=models.F("start")))]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")  # 放假
    WORKDAY = "workday", _("Make-up workday")  # 调休上班


class CalendarDay(models.Model):
    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="workflow_one_entry_per_day")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """A year whose official holidays are in the calendar. Years without a row fall back
    to Monday–Friday and admins are warned."""

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("source"), max_length=80, blank=True)
    # Days whose kind changed and whose running timers still wait to be recomputed
    # (ISO date → whether it was a working day); emptied by ``deadlines_recompute``.
    recompute = models.JSONField(_("deadlines to recompute"), default=dict, blank=True)

    class Meta:
        verbose_name = _("year with official data")
        verbose_name_plural = _("years with official data")
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["calendar", "year"], name="workflow_one_row_per_year")]

    def __str__(self):
        return str(self.year)


class TimerState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


class TimerPhase(models.IntegerChoices):
    GREEN = 0, _("On time")
    YELLOW = 1, _("Warned")
    RED = 2, _("Overdue, supervisor notified")
    ESCALATED = 3, _("Escalated")


class Timer(models.Model):
    """The clock of one running stage of one event. The sweep looks only at running
    timers whose ``next_check_at`` has passed (a partial index), so its cost follows the
    due timers, not the open events."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="timers")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    state = models.CharField(_("state"), max_length=12, choices=TimerState.choices, default=TimerState.RUNNING)
    phase = models.PositiveSmallIntegerField(_("phase"), choices=TimerPhase.choices, default=TimerPhase.GREEN)
    amount = models.PositiveIntegerField(_("limit"))
    unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)
    started_at = models.DateTimeField(_("started at"))
    warn_at = models.DateTimeField(_("warning at"))
    due_at = models.DateTimeField(_("due at"))
    escalate_at = models.DateTimeField(_("escalation at"))
    next_check_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    # Did the stage end after its due time (or is it past due now)?
    breached = models.BooleanField(_("overdue"), default=False)
    # Its times were computed on provisional holidays (a year without the official
    # arrangement): they are recomputed when an admin enters it (docs/sla.md).
    provisional = models.BooleanField(_("provisional deadline"), default=False, db_default=False)

    class Meta:
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        indexes = [
            models.Index(fields=["next_check_at"], condition=Q(state="running"), name="workflow_timer_due"),
            models.Index(fields=["event", "stage"], name="workflow_timer_by_event"),
            # Assessment: the late stages of a period's events (stage conditions of ratios).
            models.Index(fields=["stage", "started_at"], condition=Q(breached=True), include=["event"],
                         name="workflow_timer_late_stages"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "stage"], condition=~Q(state="stopped"), name="workflow_one_live_timer_per_stage"),
        ]

    def __str__(self):
        return f"{self.event_id} {self.stage} {self.state}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not needed")


class Notification(models.Model):
    """An in-app notification; email and SMS copies are sent by a task after commit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # The message (a key of workflow.notification_titles.TITLES) and its parameters, so
    # the title is shown in the reader's language; empty for older rows (``title``).
    message = models.CharField(max_length=32, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    sms_state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.SKIPPED)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="workflow_notes_by_user"),
            models.Index(fields=["created_at"], condition=Q(email_state="pending") | Q(sms_state="pending"),
                         name="workflow_notes_undelivered"),
        ]

    def __str__(self):
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the reader's (active) language when its message is known."""
        from workflow.notification_titles import TITLES, title_render

        if self.message in TITLES:
            try:
                return title_render(self.message, self.params)
            except (KeyError, TypeError, ValueError):
                return self.title
        return self.title


class SweepRun(models.Model):
    """One row per periodic sweep (``timers``): the lease that keeps beat from starting a
    sweep while one runs, its progress, and the last run's start, end and counts (read by
    monitoring: lag is now − ``finished_at``). A holder that dies leaves a lease that
    expires ``TIMER_SWEEP_LEASE_SECONDS`` after its last progress."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    holder = models.CharField(_("held by"), max_length=80, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    renewed_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    timers = models.PositiveIntegerField(_("timers"), default=0)
    escalated = models.PositiveIntegerField(_("escalated"), default=0)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    # Beat ticks that found the lease held and swept nothing (a sweep longer than the interval).
    skipped_ticks = models.PositiveIntegerField(_("ticks skipped while running"), default=0)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")

    def __str__(self):
        return self.name
