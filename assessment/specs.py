"""Filter specs: how a ratio's numerator and denominator are written as data.

A spec is a JSON object. Each key is an event field with an optional lookup
(``"state__in"``, ``"handled_at__lt"``, ``"rework_count__gt"``) from an allow-list, or
one of the combinators and stage conditions::

    {"reported_at__gte": "$start", "reported_at__lt": "$end",   # the period's bounds
     "state__in": ["closed", "archived"],
     "any": [{"accepted_at__lt": "$end"}, {"is_onsite": true}],  # OR of specs
     "not": {"rating": "dissatisfied"},                           # negation
     "stage_late": ["sign", "handle"]}                            # a stage timer of the event ran late

All keys of one object must hold (AND). ``"$start"`` and ``"$end"`` stand for the
period's first instant and the instant after its last day (local time).

A patrol ratio (巡查覆盖率, 按期巡查率, 有效发现率) counts patrol coverage measures instead
of events: both its specs are ``{"patrol": "<measure>"}`` with a measure of
``patrols.coverage.MEASURES`` (``{"patrol": "pairs_due"}``); ``assessment.patrol``
computes them. Compiled to a
``Q`` for ``Count("id", filter=Q(...))``; a spec outside the allow-list is refused
with a message saying what is wrong, in the user's language.
"""

from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from events.models import Channel, ClosureType, Rating, Urgency
from workflow.machine import State
from workflow.models import Stage, Timer

TIMES = ("reported_at", "accepted_at", "dispatched_at", "signed_at", "handled_at", "verified_at", "rated_at",
         "closed_at", "archived_at")
COUNTS = ("rework_count", "postpone_count", "return_count", "escalation_level", "supervise_count")
FLAGS = ("is_onsite", "is_suspended", "is_supervised", "was_overdue")
CHOICES = {
    "state": State.values,
    "channel": Channel.values,
    "urgency": Urgency.values,
    "rating": [*Rating.values, ""],
    "closure_type": [*ClosureType.values, ""],
}
LINKS = ("merged_into", "duplicate_of", "primary_department", "handler", "reporter")
TEXTS = ("category__code", "category__parent__code")

TIME_LOOKUPS = ("isnull", "gte", "gt", "lt", "lte")
COUNT_LOOKUPS = ("exact", "gt", "gte", "lt", "lte")
LOOKUPS = {
    **dict.fromkeys(TIMES, TIME_LOOKUPS),
    **dict.fromkeys(COUNTS, COUNT_LOOKUPS),
    **dict.fromkeys(FLAGS, ("exact",)),
    **dict.fromkeys(CHOICES, ("exact", "in")),
    **dict.fromkeys(LINKS, ("isnull",)),
    **dict.fromkeys(TEXTS, ("exact", "in", "startswith")),
}
COMBINATORS = ("any", "all", "not")
STAGE_KEYS = ("stage_late",)
PERIOD_TOKENS = ("$start", "$end")
PATROL_KEY = "patrol"


class SpecError(ValueError):
    """A spec outside the allow-list; the message says what and where."""


def _field_lookup(key: str) -> tuple[str, str]:
    for field in LOOKUPS:
        if key == field:
            return field, "exact"
        if key.startswith(field + "__"):
            return field, key[len(field) + 2:]
    allowed = ", ".join(sorted([*LOOKUPS, *COMBINATORS, *STAGE_KEYS]))
    raise SpecError(_("Unknown field “%(field)s”. Allowed: %(allowed)s.") % {"field": key, "allowed": allowed})


def _check_value(field: str, lookup: str, value) -> None:
    def bad():
        return SpecError(_("“%(value)s” is not a valid value for “%(key)s”.") % {"value": value, "key": f"{field}__{lookup}"})

    if lookup == "isnull":
        if not isinstance(value, bool):
            raise bad()
        return
    if field in TIMES:
        if value not in PERIOD_TOKENS:
            raise SpecError(_("Times can only be compared with “$start” or “$end” (the period's bounds), not “%(value)s”.")
                            % {"value": value})
        return
    if field in COUNTS:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise bad()
        return
    if field in FLAGS:
        if not isinstance(value, bool):
            raise bad()
        return
    values = value if lookup == "in" else [value]
    if lookup == "in" and (not isinstance(value, list) or not value):
        raise SpecError(_("“%(key)s” needs a non-empty list.") % {"key": f"{field}__in"})
    for item in values:
        if not isinstance(item, str) or (field in CHOICES and item not in CHOICES[field]):
            raise SpecError(_("“%(value)s” is not a valid value for “%(key)s”. Allowed: %(allowed)s.") % {
                "value": item, "key": f"{field}__{lookup}", "allowed": ", ".join(v for v in CHOICES.get(field, []) if v) or "text"})


def _stages(value) -> list[str]:
    stages = value if isinstance(value, list) else [value]
    if not stages or any(stage not in Stage.values for stage in stages):
        raise SpecError(_("“stage_late” takes a stage or a list of stages: %(allowed)s.") % {"allowed": ", ".join(Stage.values)})
    return stages


def patrol_measure(spec) -> str | None:
    """The coverage measure a patrol spec counts (``{"patrol": "pairs_due"}``), else ``None``."""
    return spec.get(PATROL_KEY) if isinstance(spec, dict) else None


def _patrol_check(spec) -> None:
    from patrols.coverage import MEASURES

    if set(spec) != {PATROL_KEY} or spec[PATROL_KEY] not in MEASURES:
        raise SpecError(_("A patrol filter is {\"patrol\": measure} alone, with one of: %(allowed)s.")
                        % {"allowed": ", ".join(MEASURES)})


def spec_check(spec) -> None:
    """Raise ``SpecError`` unless ``spec`` is a valid filter spec."""
    if not isinstance(spec, dict):
        raise SpecError(_("A filter must be a JSON object, e.g. {\"state__in\": [\"closed\", \"archived\"]}."))
    if PATROL_KEY in spec:
        _patrol_check(spec)
        return
    for key, value in spec.items():
        if key in ("any", "all"):
            if not isinstance(value, list) or not value:
                raise SpecError(_("“%(key)s” needs a non-empty list of filters.") % {"key": key})
            for item in value:
                spec_check(item)
        elif key == "not":
            spec_check(value)
        elif key == "stage_late":
            _stages(value)
        else:
            field, lookup = _field_lookup(key)
            if lookup not in LOOKUPS[field]:
                raise SpecError(_("The lookup “%(lookup)s” is not allowed on “%(field)s”. Allowed: %(allowed)s.") % {
                    "lookup": lookup, "field": field, "allowed": ", ".join(LOOKUPS[field])})
            _check_value(field, lookup, value)


def timer_floor(spec, start: datetime) -> datetime | None:
    """The earliest a stage timer of a matching event can start: ``start`` when the spec
    bounds ``reported_at`` from below by the period's start (a timer starts after its
    event is reported), else ``None``. Lets stage conditions read only the period's
    timers."""
    if isinstance(spec, dict) and spec.get("reported_at__gte") == "$start":
        return start
    return None


def spec_q(spec, *, start: datetime, end: datetime, timers_since: datetime | None = None) -> Q:
    """The spec as a ``Q`` over events, for the period [start, end)."""
    spec_check(spec)
    if PATROL_KEY in spec:
        raise SpecError(_("A patrol measure does not filter events."))
    return _compile(spec, start, end, timers_since)


def _compile(spec, start, end, timers_since) -> Q:
    condition = Q()
    for key, value in spec.items():
        if key == "any":
            alternatives = Q(pk__in=[])
            for item in value:
                alternatives |= _compile(item, start, end, timers_since)
            condition &= alternatives
        elif key == "all":
            for item in value:
                condition &= _compile(item, start, end, timers_since)
        elif key == "not":
            condition &= ~_compile(value, start, end, timers_since)
        elif key == "stage_late":
            late = Timer.objects.filter(stage__in=_stages(value), breached=True)
            if timers_since is not None:
                late = late.filter(started_at__gte=timers_since)
            condition &= Q(pk__in=late.values("event_id"))
        else:
            if value == "$start":
                value = start
            elif value == "$end":
                value = end
            condition &= Q(**{key: value})
    return condition


def terms_check(terms) -> None:
    """Raise ``SpecError`` unless ``terms`` is a valid list of score terms."""
    from assessment.models import RatioDefinition

    if not isinstance(terms, list) or not terms:
        raise SpecError(_("The terms must be a non-empty list, e.g. [{\"ratio\": \"closing_rate\", \"weight\": 30}]."))
    known = set(RatioDefinition.objects.values_list("code", flat=True))
    for term in terms:
        if not isinstance(term, dict) or set(term) - {"ratio", "weight", "invert"}:
            raise SpecError(_("Each term is an object with “ratio”, “weight” and optionally “invert”."))
        if term.get("ratio") not in known:
            raise SpecError(_("There is no ratio with the code “%(code)s”.") % {"code": term.get("ratio")})
        weight = term.get("weight")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0):
            raise SpecError(_("The weight of “%(code)s” must be a number of at least 0.") % {"code": term["ratio"]})
        if not isinstance(term.get("invert", False), bool):
            raise SpecError(_("“invert” must be true or false."))
