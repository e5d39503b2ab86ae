"""The command center's campaign pages: list, create, progress up the tree, not-done
list, map, publish/refresh/close, the ledger export."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import ancestor_paths
from campaigns import selectors, services
from campaigns.exports import XLSX, ledger_export
from campaigns.form_editor import FieldRows, row_initial
from campaigns.forms import CampaignForm, preset_initial
from campaigns.models import Campaign, CampaignState, Target
from events.models import Category
from grids.models import GRID_LEVELS, Area


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
def campaign_list(request):
    campaigns = selectors.campaigns_visible_to(request.user).select_related("area").order_by("-starts_on", "-id")
    mine = set(selectors.campaigns_for_worker(request.user).values_list("pk", flat=True))
    page = Paginator(campaigns, 30).get_page(request.GET.get("page"))
    return render(request, "campaigns/list.html", {
        "page": page, "mine": mine, "can_create": selectors.areas_for_campaigns(request.user).exists(),
    })


@login_required
def campaign_create(request):
    areas = selectors.areas_for_campaigns(request.user)
    if not areas.exists():
        raise Http404("No area")
    if request.method == "POST":
        form = CampaignForm(request.POST, areas=areas)
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.campaign_create(
                    actor=request.user, area=data["area"], name=data["name"], target_kind=data["target_kind"],
                    form=data["form_json"], starts_on=data["starts_on"], ends_on=data["ends_on"],
                    place_kinds=data["place_kinds"], groups=data["groups"], problem_category=data["problem_category"],
                    description=data["description"], allow_late=data["allow_late"])
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    form.add_error("form_json" if name == "form" else name if name in form.fields else None, problems)
            except PermissionDenied as error:
                form.add_error("area", str(error))
            else:
                messages.success(request, _("The campaign was created as a draft. Publish it to create the targets."))
                return redirect(campaign)
    else:
        today = timezone.localdate()
        initial = {**preset_initial(request.GET.get("preset", "gas")), "starts_on": today,
                   "ends_on": today + datetime.timedelta(days=14)}
        first = areas.exclude(level__in=GRID_LEVELS).order_by("path").first()
        initial["area"] = first
        form = CampaignForm(initial=initial, areas=areas)
    return render(request, "campaigns/create.html", {"form": form})


@login_required
def campaign_detail(request, pk):
    campaign = selectors.access_campaign(request.user, pk)
    area = selectors.progress_root(request.user, campaign, request.GET.get("area"))
    own, children = selectors.progress_rows(campaign, area)
    today = timezone.localdate()
    for row in children:
        row.behind = selectors.is_behind(row, campaign, today)
    trail = list(Area.objects.filter(path__in=ancestor_paths(area.path), path__startswith=campaign.area.path).order_by("path"))
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "area": area, "own": own, "children": children, "trail": trail,
        "expected_percent": round(100 * selectors.expected_share(campaign, today)),
        "can_manage": selectors.can_manage(request.user, campaign),
        "has_targets": Target.objects.filter(campaign=campaign, worker=request.user).exists(),
        "grids_behind": selectors.grids_behind(request.user, campaign, today)[:50]
        if campaign.state == CampaignState.PUBLISHED else [],
    })


def _managed(request, pk) -> Campaign:
    campaign = selectors.access_campaign(request.user, pk)
    if not selectors.can_manage(request.user, campaign):
        raise Http404("No such campaign")
    return campaign


@login_required
def campaign_form_edit(request, pk):
    """Edit the form field by field; saving makes a new version (answers keep theirs)."""
    campaign = _managed(request, pk)
    categories = Category.objects.filter(parent__isnull=False, is_active=True).order_by("code")
    errors = []
    if request.method == "POST":
        rows = FieldRows(request.POST, prefix="fields")
        chosen = request.POST.get("problem_category", "")
        if rows.is_valid():
            spec = [field for field in (row.spec() for row in rows.forms if row.cleaned_data) if field]
            try:
                saved = services.campaign_form_change(actor=request.user, campaign=campaign, form=spec,
                                                      problem_category=chosen or None)
            except ValidationError as error:
                errors = [message for messages_ in error.message_dict.values() for message in messages_] \
                    if hasattr(error, "error_dict") else error.messages
            else:
                if saved.form_version == campaign.form_version:
                    messages.info(request, _("Nothing changed in the form."))
                else:
                    messages.success(request, _("The form was saved as a new version; answers already given keep theirs."))
                return redirect(campaign)
    else:
        rows = FieldRows(initial=[row_initial(spec) for spec in campaign.form], prefix="fields")
        chosen = campaign.problem_category.code if campaign.problem_category else ""
    return render(request, "campaigns/form_edit.html", {
        "campaign": campaign, "rows": rows, "errors": errors, "categories": categories, "chosen": chosen,
    }, status=400 if errors or (request.method == "POST" and not rows.is_valid()) else 200)


@login_required
@require_POST
def campaign_action(request, pk, action):
    campaign = _managed(request, pk)
    try:
        if action == "publish":
            count = services.campaign_publish(actor=request.user, campaign=campaign)
            messages.success(request, _("Published: %(count)d targets were given to the grid workers.") % {"count": count})
        elif action == "refresh":
            result = services.campaign_refresh(actor=request.user, campaign=campaign)
            messages.success(request, _("Targets refreshed: %(added)d added, %(moved_out)d moved out, %(moved)d moved "
                                        "to another grid.") % result)
        elif action == "close":
            services.campaign_close(actor=request.user, campaign=campaign)
            messages.success(request, _("The campaign is closed."))
        else:
            raise Http404("No such action")
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect(campaign)


@login_required
def not_done(request, pk):
    campaign = selectors.access_campaign(request.user, pk)
    area = selectors.progress_root(request.user, campaign, request.GET.get("area"))
    page = Paginator(selectors.targets_not_done(request.user, campaign, area), 100).get_page(request.GET.get("page"))
    return render(request, "campaigns/not_done.html", {"campaign": campaign, "area": area, "page": page})


@login_required
def progress_map(request, pk):
    campaign = selectors.access_campaign(request.user, pk)
    return render(request, "campaigns/map.html", {"campaign": campaign})


@login_required
def progress_map_data(request, pk):
    """The grids of the user's part of the campaign with their boundary and share done."""
    campaign = selectors.access_campaign(request.user, pk)
    rows = [row for row in selectors.progress_tree(request.user, campaign) if row["area__level"] in GRID_LEVELS]
    boundaries = dict(Area.objects.filter(pk__in=[row["area_id"] for row in rows]).values_list("pk", "boundary"))
    features = []
    for row in rows:
        if not boundaries.get(row["area_id"]):
            continue
        due = row["targets"] - row["moved_out"]
        features.append({"type": "Feature", "geometry": boundaries[row["area_id"]], "properties": {
            "name": row["area__name"], "code": row["area__code"], "targets": due, "visited": row["visited"],
            "share": round(row["visited"] / due, 3) if due else None,
            "url": f"{campaign.get_absolute_url()}?area={row['area_id']}"}})
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
def export(request, pk):
    campaign = _managed(request, pk)
    area = selectors.progress_root(request.user, campaign, request.GET.get("area"))
    handle, filename = ledger_export(actor=request.user, campaign=campaign, area=area)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)
