"""The grid worker's phone pages: my targets (by building, not yet visited, problems),
a target's card with the form, "nobody home", and the one-tap event. Each form carries
an idempotency key made when the page is drawn, so a form sent twice — a double tap, or
``static/js/offline-queue.js`` sending it again after the connection came back — is
recorded once."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import RoleAssignment
from accounts.scoping import GRID_WORKER_ROLES
from campaigns import selectors
from campaigns.answers import target_answer, target_event_file
from campaigns.cards import target_card
from campaigns.formspec import FILE_TYPES
from campaigns.models import Outcome, TargetStatus
from campaigns.services import target_reassign


def _float(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
def my_targets(request, pk):
    campaign = selectors.access_campaign(request.user, pk)
    filters = selectors.TargetFilter(building=request.GET.get("building", ""), status=request.GET.get("status", ""),
                                     problem=request.GET.get("problem") == "1", mine=request.GET.get("all") != "1")
    targets = selectors.targets_for(request.user, campaign, filters).select_related("grid")
    page = Paginator(targets, 50).get_page(request.GET.get("page"))
    return render(request, "campaigns/my_targets.html", {
        "campaign": campaign, "page": page, "filters": filters, "statuses": TargetStatus.choices,
        "buildings": selectors.target_buildings(request.user, campaign, mine=filters.mine),
    })


def _fields(campaign, values=None, errors=None):
    values, errors = values or {}, errors or {}
    return [{**spec, "value": values.get(spec["code"], ""), "errors": errors.get(spec["code"], [])} for spec in campaign.form]


def _target_page(request, target, *, values=None, errors=None, general=None, status=200):
    campaign = target.campaign
    workers = []
    if selectors.can_reassign(request.user, target):
        workers = (RoleAssignment.objects.filter(area=target.grid, role__in=GRID_WORKER_ROLES, revoked_at__isnull=True)
                   .select_related("user").order_by("user__username"))
    return render(request, "campaigns/target.html", {
        "campaign": campaign, "target": target, "card": target_card(campaign, target, user=request.user),
        "fields": _fields(campaign, values, errors), "errors": general or [],
        "key": uuid.uuid4().hex if values is None else request.POST.get("idempotency_key", uuid.uuid4().hex),
        "not_home_key": uuid.uuid4().hex, "event_key": uuid.uuid4().hex,
        "can_answer": selectors.can_answer(request.user, target), "workers": workers,
        "answers": target.answers.select_related("by").prefetch_related("files")[:10],
    }, status=status)


@login_required
def target_page(request, pk):
    target = selectors.access_target(request.user, pk)
    if request.method != "POST":
        return _target_page(request, target)
    outcome = request.POST.get("outcome", Outcome.VISITED)
    values = {spec["code"]: request.POST.get(spec["code"], "") for spec in target.campaign.form
              if spec["type"] not in FILE_TYPES or spec["type"] == "signature"}
    files = {spec["code"]: request.FILES.getlist(spec["code"]) for spec in target.campaign.form if spec["type"] == "photo"}
    recorded = parse_datetime(request.POST.get("recorded_at", "") or "")
    try:
        answer, created = target_answer(
            actor=request.user, target=target, outcome=outcome, idempotency_key=request.POST.get("idempotency_key", ""),
            values=values, files=files, latitude=_float(request.POST.get("latitude")),
            longitude=_float(request.POST.get("longitude")), recorded_at=recorded, note=request.POST.get("note", ""))
    except PermissionDenied:
        raise Http404("No such target") from None
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            return _target_page(request, target, values=values, errors=error.message_dict, status=400)
        return _target_page(request, target, values=values, general=error.messages, status=400)
    if outcome == Outcome.NOT_HOME:
        messages.info(request, _("Nobody home at %(target)s: come back later (attempt %(n)d).")
                      % {"target": target.label, "n": answer.target.attempts if not created else target.attempts + 1})
    elif answer.problems:
        messages.warning(request, _("%(target)s: problem recorded. File it as an event from the target's page.")
                         % {"target": target.label})
        return redirect(target)
    else:
        messages.success(request, _("%(target)s: visit recorded.") % {"target": target.label})
    return redirect("campaigns:my_targets", target.campaign_id)


@login_required
@require_POST
def target_event(request, pk):
    target = selectors.access_target(request.user, pk)
    try:
        event, created = target_event_file(actor=request.user, target=target,
                                           idempotency_key=request.POST.get("idempotency_key", ""))
    except PermissionDenied:
        raise Http404("No such target") from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(target)
    if created:
        messages.success(request, _("Event %(code)s filed.") % {"code": event.code})
    return redirect(target)


@login_required
@require_POST
def target_reassign_view(request, pk):
    target = selectors.access_target(request.user, pk)
    from accounts.models import User

    worker = User.objects.filter(pk=request.POST.get("worker") or 0).first()
    try:
        if worker is None:
            raise ValidationError(_("Choose a grid worker of this grid."))
        target_reassign(actor=request.user, target=target, worker=worker)
        messages.success(request, _("Target given to %(name)s.") % {"name": worker.display_name})
    except PermissionDenied:
        raise Http404("No such target") from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(target)
