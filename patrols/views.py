"""Patrol pages: the worker's phone page (today's due items, start/continue a round, my
rounds), the round page (walking it on the phone, or seeing it on the map), and
coverage with the overdue-patrol list for grid leaders and command centers.

Thin: reads come from selectors and plans, writes from services; the round page's
writes go to the API through the browser's offline queue (static/js/offline-queue.js)."""

import uuid
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from accounts.scoping import areas_visible_to, grids_visible_to
from events.models import Category
from patrols import selectors
from patrols.coverage import SHARES, UNIT_KINDS
from patrols.models import RoundStatus
from patrols.plans import grid_plan, plans_as_data, worker_plan
from patrols.services import round_start

ROUND_LIST_LIMIT = 100
KIND_LABELS = {"grid": _lazy("Grids"), "worker": _lazy("Grid workers"), "community": _lazy("Communities"), "street": _lazy("Streets")}


def _walk_context() -> dict:
    """What the phone's walking part needs (patrol-round.js): its texts and the small
    classes a finding may be filed under."""
    return {
        "walk_texts": {
            "online": _("Online"), "offline": _("Offline: what you record stays on this phone and is sent when the connection is back."),
            "waiting": _("waiting to be sent"), "allSent": _("Everything is sent."), "failed": _("Refused by the server:"),
            "noGps": _("This phone gives no position."), "gps": _("GPS"), "gpsFailed": _("No position yet."),
            "checkSaved": _("Check saved"), "findingSaved": _("Finding saved"), "ended": _("Round ended."),
            "endConfirm": _("End the round?"), "pendingEnd": _("The round ends when everything is sent."),
        },
        "categories": list(Category.objects.filter(parent__isnull=False, is_active=True)
                           .select_related("parent").order_by("order", "code")),
    }


@login_required
def patrol_home(request):
    plans = worker_plan(worker=request.user)
    open_round = selectors.open_round_of(request.user)
    context = {"plans": plans, "open_round": open_round, "rounds": selectors.my_rounds(request.user),
               "start_key": uuid.uuid4().hex}
    if plans and open_round is None:
        # Hidden walking parts, one per grid: a round started offline is walked here.
        context.update(_walk_context(), walk_plans=plans_as_data(plans))
    return render(request, "patrols/home.html", context)


@login_required
def patrol_round_by_key(request, key):
    """The round the user started with the browser's key ``key`` (where the phone goes
    once a start queued offline has been sent)."""
    return redirect("patrols:round", round_id=selectors.own_round_id(request.user, key))


@login_required
@require_POST
def patrol_start(request):
    try:
        round, _created = round_start(actor=request.user, key=request.POST.get("key", ""), grid=request.POST.get("grid") or None)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("patrols:home")
    return redirect(round)


@login_required
def patrol_round(request, round_id):
    round = selectors.access_round(request.user, round_id)
    walking = round.worker_id == request.user.pk and round.status == RoundStatus.OPEN
    context = {"round": round, "walking": walking, "map_texts": {"check": _("Check"), "finding": _("Finding")}}
    if walking:
        context["plan"] = plans_as_data([grid_plan(grid=round.grid, viewer=request.user)])[0]
        context.update(_walk_context())
    else:
        context["checks"] = round.checks.select_related("version").order_by("checked_at")
        context["findings"] = round.findings.select_related("event", "event__category").order_by("created_at")
    return render(request, "patrols/round.html", context)


@login_required
def patrol_rounds(request):
    """Recent rounds in the user's area (newest first), optionally of one grid or worker."""
    rounds = selectors.rounds_visible_to(request.user).select_related("grid", "worker").order_by("-started_at", "-id")
    grid = request.GET.get("grid", "")
    if grid.isdigit():
        rounds = rounds.filter(grid_id=grid)
    worker = request.GET.get("worker", "")
    if worker.isdigit():
        rounds = rounds.filter(worker_id=worker)
    return render(request, "patrols/rounds.html", {"rounds": rounds[:ROUND_LIST_LIMIT], "limit": ROUND_LIST_LIMIT})


def _period(request) -> tuple[date, date]:
    today = timezone.localdate()
    try:
        first = date.fromisoformat(request.GET.get("first") or today.replace(day=1).isoformat())
        last = date.fromisoformat(request.GET.get("last") or today.isoformat())
    except ValueError:
        first, last = today.replace(day=1), today
    if last < first or last - first > timedelta(days=400):
        first, last = today.replace(day=1), today
    return first, last


@login_required
def patrol_coverage(request):
    kind = request.GET.get("kind", "grid")
    if kind not in UNIT_KINDS:
        raise Http404("No such unit kind")
    first, last = _period(request)
    units = selectors.coverage_for(user=request.user, kind=kind, first=first, last=last)
    ratios = SHARES
    for unit in units:
        unit.ratio_values = [unit.ratios.get(ratio.code) for ratio in ratios]
    return render(request, "patrols/coverage.html", {
        "kind": kind, "kinds": [(k, KIND_LABELS[k]) for k in UNIT_KINDS], "first": first, "last": last, "units": units,
        "ratios": ratios,
        "map_data": [{"id": u.id, "code": u.code, "name": u.name, "ratios": u.ratios} for u in units] if kind == "grid" else [],
    })


@login_required
def patrol_coverage_map(request):
    """Boundaries of the grids in scope, for the coverage map (coloured by the page's figures)."""
    from django.http import JsonResponse

    grids = grids_visible_to(request.user).filter(boundary__isnull=False).values_list("id", "code", "name", "boundary")[:5000]
    return JsonResponse({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": boundary, "properties": {"id": pk, "code": code, "name": name}}
        for pk, code, name, boundary in grids]})


@login_required
def patrol_overdue(request):
    """The overdue-patrol list: slots whose last period ended unchecked, by grid, in
    keyset pages of grids (``?after=`` the previous page's cursor) over the user's area
    or one area of it (``?area=``)."""
    from accounts.scoping import access_area

    area_id = request.GET.get("area", "")
    within = access_area(request.user, area_id) if area_id else None
    page = selectors.overdue_page(user=request.user, after=request.GET.get("after", ""), within=within)
    return render(request, "patrols/overdue.html", {
        **page, "within": within, "after": request.GET.get("after", ""),
        "streets": list(areas_visible_to(request.user).filter(level="street").order_by("path").values_list("id", "name")[:1000]),
    })
