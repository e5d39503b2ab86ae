"""The command center's desktop pages (map, overdue board, dashboard, archive queue)
and the department queue. Reads through scoped selectors; the archive queue's batch
goes through ``workflow.dispatching.events_archive``."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.dashboard import dashboard_figures
from events.forms import PeriodForm
from events.selectors import archive_queue, department_queue, map_events, map_grids, overdue_board
from grids.names import name_for_reader
from workflow.machine import State


@login_required
def queue(request):
    """A department's dispatched work with its deadlines."""
    events = list(department_queue(request.user)[:200])
    return render(request, "events/queue.html", {
        "to_sign": [event for event in events if event.state == State.DISPATCHED],
        "handling": [event for event in events if event.state == State.HANDLING],
        "handled": [event for event in events if event.state == State.HANDLED],
    })


@login_required
def event_map(request):
    texts = {"events": _("open events"), "grids": _("grids"), "failed": _("The map data could not be loaded.")}
    return render(request, "events/map.html", {"map_texts": texts})


def _bbox(value: str):
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        return None
    return west, south, east, north


@login_required
def map_data(request):
    """Grid boundaries (GeoJSON) and open events of the user's area, for the map
    (``grids_only=1``: the boundaries in ``bbox`` only, when the map zooms in)."""
    grids = map_grids(request.user, bbox=_bbox(request.GET.get("bbox", "")))
    if request.GET.get("grids_only") == "1":
        return JsonResponse({"grids": grids})
    return JsonResponse({"grids": grids, "events": map_events(request.user)})


@login_required
def overdue(request):
    return render(request, "events/overdue.html", {"board": overdue_board(request.user)})


@login_required
def dashboard(request):
    start, end = PeriodForm.default_period()
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    figures = dashboard_figures(user=request.user, start=start, end=end)
    state_labels = dict(State.choices)
    charts = {
        "states": [{"name": str(state_labels[state]), "value": count} for state, count in figures["by_state"].items() if count],
        "days": [row["day"].isoformat() for row in figures["per_day"]],
        "new": [row["new"] for row in figures["per_day"]],
        "closed": [row["closed"] for row in figures["per_day"]],
        "categories": [{"name": name_for_reader(row["name"], row["name_en"]), "value": row["count"]}
                       for row in figures["top_categories"]],
        "grids": [{"name": row["name"], "value": row["count"]} for row in figures["top_grids"]],
        "departments": [{"name": row["name"], "value": round(row["rate"] * 100, 1) if row["rate"] is not None else None}
                        for row in figures["departments"]],
    }
    return render(request, "events/dashboard.html", {
        "form": form, "figures": figures, "start": start, "end": end,
        "charts": json.loads(json.dumps(charts, cls=DjangoJSONEncoder)),
        "chart_texts": {"new": _("New"), "closed": _("Closed"), "events": _("Events"), "rate": f"{_('On-time rate')} (%)",
                        "empty": _("No data in this period")},
    })


@login_required
def archive(request):
    """待归档: closed, rejected and merged cases in scope, with a batch archive."""
    from workflow.dispatching import events_archive

    if request.method == "POST":
        ids = [int(value) for value in request.POST.getlist("event") if value.isdigit()]
        if not ids:
            messages.error(request, _("Choose the cases to archive."))
            return redirect("events:archive")
        archived, refused = events_archive(actor=request.user, event_ids=ids)
        if archived:
            messages.success(request, ngettext("%(count)d case archived.", "%(count)d cases archived.", len(archived))
                             % {"count": len(archived)})
        for _event_id, reason in refused:
            messages.warning(request, reason or _("A case could not be archived."))
        return redirect("events:archive")
    return render(request, "events/archive.html", {"events": archive_queue(request.user)})
