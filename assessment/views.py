"""Assessment pages for leaders and command centers: rankings, a unit's scorecard with
click-through to the counted events, period comparison, the .xlsx export, points,
the two-way evaluation form, problems and trends, hotspots. Thin: reads come from
``assessment.selectors``/``analytics``, writes from ``assessment.services``; units and
events out of scope answer 404."""


from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import access_area, areas_visible_to
from assessment import analytics
from assessment.exports import formula_text, results_workbook
from assessment.forms import EvaluationForm
from assessment.models import EvaluationGrade, TwoWayEvaluation, UnitKind
from assessment.periods import PeriodError, month_period, period_parse
from assessment.selectors import counted_events, latest_period_with_data, points_ranking, results_for, unit_access
from assessment.services import AssessmentError, evaluation_counterparts, evaluation_record, hotspot_task_create

# How many grid workers and grids the points page names outstanding (优秀网格员, 星级网格).
STARS = 10


def _period(request, name="period"):
    """The period asked for (a typed ``custom`` one wins over the picker's choice;
    default: the latest month with events in the user's scope) and an error message
    for a bad one."""
    text = (request.GET.get(f"{name}_custom", "") or request.GET.get(name, "")).strip()
    if not text:
        return latest_period_with_data(request.user), ""
    try:
        return period_parse(text), ""
    except PeriodError as error:
        return latest_period_with_data(request.user), str(error)


def _kind(request) -> str:
    kind = request.GET.get("kind", UnitKind.STREET)
    return kind if kind in UnitKind.values else UnitKind.STREET


def _rows(units, ratios):
    return [{"unit": unit, "cells": [(ratio, *unit.counts.get(ratio.code, (0, 0)), unit.rate(ratio.code)) for ratio in ratios]}
            for unit in units]


@login_required
def rankings(request):
    period, error = _period(request)
    kind = _kind(request)
    units, ratios, formula, snapshot = results_for(user=request.user, kind=kind, period=period)
    chart = [{"name": unit.name, "score": unit.score} for unit in units if unit.score is not None][:30]
    return render(request, "assessment/rankings.html", {
        "period": period, "error": error, "kind": kind, "kinds": UnitKind.choices, "rows": _rows(units, ratios),
        "ratios": ratios, "formula": formula_text(formula, ratios), "snapshot": snapshot,
        "chart": chart, "previous": period.previous(),
    })


@login_required
def scorecard(request, kind, unit_id):
    if kind not in UnitKind.values:
        raise Http404("No such unit kind")
    _unit, name = unit_access(request.user, kind, unit_id)
    period, error = _period(request)
    previous = period.previous()
    units, ratios, formula, snapshot = results_for(user=request.user, kind=kind, period=period)
    before, _r, _f, _s = results_for(user=request.user, kind=kind, period=previous)
    unit = next((item for item in units if item.id == int(unit_id)), None)
    earlier = next((item for item in before if item.id == int(unit_id)), None)
    if unit is None:
        raise Http404("No such unit")
    lines = [{"ratio": ratio, "numerator": unit.counts.get(ratio.code, (0, 0))[0],
              "denominator": unit.counts.get(ratio.code, (0, 0))[1], "rate": unit.rate(ratio.code),
              "previous": earlier.rate(ratio.code) if earlier else None} for ratio in ratios]
    chart = {"names": [ratio.label for ratio in ratios],
             "now": [round(100 * line["rate"], 1) if line["rate"] is not None else None for line in lines],
             "before": [round(100 * line["previous"], 1) if line["previous"] is not None else None for line in lines]}
    return render(request, "assessment/scorecard.html", {
        "kind": kind, "kind_label": UnitKind(kind).label, "unit": unit, "name": name, "units_total": len(units),
        "lines": lines, "period": period, "previous": previous, "earlier": earlier, "error": error,
        "formula": formula_text(formula, ratios), "snapshot": snapshot, "chart": chart,
    })


@login_required
def counted(request, kind, unit_id, ratio_code, part):
    if kind not in UnitKind.values:
        raise Http404("No such unit kind")
    period, error = _period(request)
    if error:
        raise Http404(error)
    _unit, name = unit_access(request.user, kind, unit_id)
    events, total = counted_events(user=request.user, kind=kind, unit_id=unit_id, ratio_code=ratio_code, part=part,
                                   period=period)
    page = Paginator(events.select_related("category", "grid").order_by("-reported_at", "-id"), 50).get_page(
        request.GET.get("page"))
    return render(request, "assessment/counted.html", {
        "page": page, "name": name, "kind": kind, "unit_id": unit_id, "ratio_code": ratio_code, "part": part,
        "period": period, "total": total, "not_shown": total - page.paginator.count,
    })


@login_required
def compare(request):
    kind = _kind(request)
    period, error = _period(request)
    other_text = request.GET.get("other", "").strip()
    other, other_error = (_period(request, "other") if other_text else (period.previous(), ""))
    units, ratios, _formula, snapshot = results_for(user=request.user, kind=kind, period=period)
    before, _r, _f, other_snapshot = results_for(user=request.user, kind=kind, period=other)
    earlier = {unit.id: unit for unit in before}
    rows = [{"unit": unit, "before": earlier.get(unit.id),
             "change": (unit.score - earlier[unit.id].score) if unit.score is not None and unit.id in earlier
             and earlier[unit.id].score is not None else None} for unit in units]
    return render(request, "assessment/compare.html", {
        "kind": kind, "kinds": UnitKind.choices, "period": period, "other": other, "rows": rows,
        "error": error or other_error, "snapshot": snapshot, "other_snapshot": other_snapshot,
    })


@login_required
def export(request):
    period, error = _period(request)
    if error:
        messages.error(request, error)
        return redirect("assessment:rankings")
    kind = _kind(request)
    units, ratios, formula, snapshot = results_for(user=request.user, kind=kind, period=period)
    content = results_workbook(units=units, ratios=ratios, formula=formula, period=period, kind=kind,
                               frozen=snapshot is not None)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="assessment-{period.label}-{kind}.xlsx"'
    return response


@login_required
def points(request):
    period, error = _period(request)
    month = period.start.replace(day=1)
    ranking = points_ranking(user=request.user, month=month)
    grids, _ratios, _formula, _snapshot = results_for(user=request.user, kind=UnitKind.GRID,
                                                      period=month_period(month.year, month.month))
    return render(request, "assessment/points.html", {
        "ranking": ranking, "month": month, "month_label_value": f"{month:%Y-%m}", "error": error, "star": ranking[:STARS],
        "star_grids": [grid for grid in grids if grid.score is not None][:STARS],
    })


@login_required
def evaluation(request):
    """The two-way evaluation form: a refused or invalid evaluation comes back (400) with
    the reason under it and what was typed, the others as they were."""
    month = timezone.localdate().replace(day=1)
    failed = None
    if request.method == "POST":
        form = EvaluationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                evaluation_record(actor=request.user, evaluatee_id=data["evaluatee"], grid_id=data["grid"],
                                  month=data["month"], grade=data["grade"], comment=data["comment"].strip())
            except PermissionDenied as refused:
                form.add_error(None, str(refused))
            except ValidationError as invalid:
                for field, problems in invalid.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, _("Your evaluation was saved."))
                return redirect("assessment:evaluation")
        failed = {"evaluatee": request.POST.get("evaluatee", ""), "grid": request.POST.get("grid", ""), "form": form,
                  "errors": [message for problems in form.errors.values() for message in problems]}
    given = {(row.evaluatee_id, row.grid_id): row for row in
             TwoWayEvaluation.objects.filter(evaluator=request.user, month=month)}
    pairs = [{"grid": grid, "person": person, "direction": direction, "given": given.get((person.pk, grid.pk)),
              "failed": failed if failed and failed["evaluatee"] == str(person.pk) and failed["grid"] == str(grid.pk)
              else None}
             for grid, person, direction in evaluation_counterparts(actor=request.user)]
    return render(request, "assessment/evaluation.html", {
        "pairs": pairs, "month": month, "grades": EvaluationGrade.choices, "failed": failed,
        "received": TwoWayEvaluation.objects.filter(evaluatee=request.user).select_related("evaluator", "grid")[:24],
    }, status=400 if failed else 200)


def _area(request):
    """The optional area (``?area=<id>``) to narrow analytics to; 404 if out of scope."""
    value = request.GET.get("area")
    return access_area(request.user, value) if value else None


@login_required
def problems(request):
    period, error = _period(request)
    order = request.GET.get("order", "count")
    area = _area(request)
    trends = analytics.trends(user=request.user, period=period, area=area)
    chart = {"days": [row["day"].isoformat() for row in trends["per_day"]],
             "created": [row["created"] for row in trends["per_day"]],
             "closed": [row["closed"] for row in trends["per_day"]],
             "overdue": [row["overdue"] for row in trends["per_day"]]}
    return render(request, "assessment/problems.html", {
        "period": period, "error": error, "order": order,
        "rows": analytics.problems(user=request.user, period=period, order=order, area=area), "area": area,
        "areas": areas_visible_to(request.user).filter(level__in=("district", "street", "community")).order_by("path")[:300],
        "durations": trends["durations"], "chart": chart,
    })


@login_required
def hotspots(request):
    period, error = _period(request)
    try:
        radius = min(max(int(request.GET.get("radius", 100)), 10), 5000)
        minimum = max(int(request.GET.get("min", 3)), 2)
    except ValueError:
        radius, minimum = 100, 3
    spots = analytics.hotspots(user=request.user, period=period, radius_metres=radius, min_events=minimum)
    return render(request, "assessment/hotspots.html", {
        "period": period, "error": error, "radius": radius, "minimum": minimum, "spots": spots,
        "data": spots, "tile_url": getattr(settings, "MAP_TILE_URL", ""),
    })


@login_required
@require_POST
def hotspot_task(request):
    try:
        ids = [int(value) for value in request.POST.getlist("events")]
        task = hotspot_task_create(actor=request.user, event_ids=ids, radius_metres=int(request.POST.get("radius", 100)),
                                   description=request.POST.get("description", ""))
    except ValueError as error:
        messages.error(request, str(error) if isinstance(error, AssessmentError) else _("Choose the events."))
        return redirect("assessment:hotspots")
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
        return redirect("assessment:hotspots")
    messages.success(request, _("Root-cause task %(code)s filed.") % {"code": task.event.code})
    return redirect(task.event.get_absolute_url())
