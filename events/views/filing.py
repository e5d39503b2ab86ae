"""Filing an event from a phone: category, description, photos from the camera, the
location from GPS on a draggable pin, urgency, "resolved on site" with after-photos.

The form's draft lives in the browser (localStorage, without the photos) and carries an
idempotency key made once per draft, so a reload keeps the draft and a double submit
files once (``workflow.services.event_file``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scoping import grids_visible_to
from events.forms import EventFileForm, check_texts, draft_texts
from events.models import Category, Channel
from events.selectors import filing_check
from workflow.services import event_file

# Grids offered in the form's grid list (a worker serves one or a few).
MAX_GRID_CHOICES = 200


def put_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the fields it names (others on the form)."""
    if hasattr(error, "error_dict"):
        for field, problems in error.error_dict.items():
            field = {"location": "latitude", "attachments": "photos"}.get(field, field)
            target = field if field in form.fields else None
            for problem in problems:
                form.add_error(target, problem.messages if hasattr(problem, "messages") else problem)
    else:
        form.add_error(None, error.messages)


@login_required
def event_file_page(request):
    grids = list(grids_visible_to(request.user).order_by("path")[:MAX_GRID_CHOICES])
    if not grids:
        # Filing is for staff who serve grids; residents use the public page.
        raise Http404("No grid to file in")
    form = EventFileForm(request.POST or None, request.FILES or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event, created = event_file(
                actor=request.user, channel=Channel.GRID_WORKER, category=data["category"],
                description=data["description"], latitude=data["latitude"], longitude=data["longitude"],
                grid=data["grid"], address=data["address"], urgency=data["urgency"], attachments=data["photos"],
                idempotency_key=data["idempotency_key"], resolved_on_site=data["resolved_on_site"],
                result=data["result"], onsite_attachments=data["after_photos"] if data["resolved_on_site"] else (),
            )
        except ValidationError as error:
            put_errors(form, error)
        else:
            if created:
                messages.success(request, _("Event %(code)s filed.") % {"code": event.code})
            else:
                messages.info(request, _("This report was already filed as %(code)s.") % {"code": event.code})
            return redirect(reverse("events:detail", args=[event.pk]) + "?filed=1")
    onsite = list(Category.objects.filter(onsite_allowed=True, parent__isnull=False).values_list("pk", flat=True))
    boundaries = [{"code": grid.code, "name": grid.name, "boundary": grid.boundary} for grid in grids[:50] if grid.boundary]
    return render(request, "events/file.html", {"form": form, "onsite_categories": onsite, "boundaries": boundaries,
                                                "texts": draft_texts(), "check_texts": check_texts()})


def point_and_category(get) -> tuple[float, float, int | None] | None:
    """The ``lat``, ``lon`` and ``category`` of a check request (``None`` when unreadable)."""
    try:
        latitude, longitude = float(get.get("lat", "")), float(get.get("lon", ""))
    except ValueError:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    category = get.get("category", "")
    return latitude, longitude, int(category) if category.isdigit() else None


@login_required
def event_file_check(request):
    """While filing: the grid of the point, a suggested address and likely duplicates
    among the events the worker may see (JSON for the form's script)."""
    point = point_and_category(request.GET)
    if point is None:
        return JsonResponse({"grid": None, "address": "", "nearby": []})
    latitude, longitude, category = point
    found = filing_check(request.user, category_id=category, latitude=latitude, longitude=longitude)
    grid = found["grid"]
    in_scope = grid is not None and grids_visible_to(request.user).filter(pk=grid.pk).exists()
    return JsonResponse({
        "grid": {"name": grid.label, "code": grid.code} if grid is not None else None,
        "outside": grid is not None and not in_scope,
        "address": found["address"],
        "nearby": [{"code": event.code, "url": event.get_absolute_url(), "state": str(event.state_label),
                    "category": event.category.label, "distance": distance, "description": event.description[:80],
                    "reported": event.reported_at.isoformat()} for distance, event in found["nearby"]],
    })
