"""Pages for residents without an account: report a problem, follow it by its tracking
code. Rate-limited per client address through the shared cache; nothing about anyone
else is ever shown (the tracking page shows the case's progress, not people)."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from events.attachments import attachment_response
from events.forms import PublicReportForm, TrackForm, check_texts, draft_texts
from events.models import AttachmentStage, Channel, Event
from events.ratelimit import client_address, rate_limit_hit
from events.selectors import event_public_status, filing_check, public_photos, public_progress
from events.views.filing import point_and_category, put_errors
from grids.models import Area
from residents.models import Building
from workflow.services import event_file

BUILDING_SALT = "events.public.building"
CASE_SALT = "events.public.case"


def building_link_token(building_id: int) -> str:
    """The signed building reference in a notice board's QR code (ids cannot be guessed)."""
    return signing.dumps(building_id, salt=BUILDING_SALT)


def _building(token: str) -> Building | None:
    try:
        building_id = signing.loads(token, salt=BUILDING_SALT)
    except signing.BadSignature:
        return None
    return Building.objects.filter(pk=building_id).select_related("grid").first()


def public_report(request):
    building = _building(request.GET.get("b", "")) if request.GET.get("b") else None
    initial = {}
    if building is not None:
        initial = {"address": f"{building.address or building.grid.name} {building.name}".strip(),
                   "latitude": building.lat, "longitude": building.lon}
    form = PublicReportForm(request.POST or None, request.FILES or None, initial=initial)
    limited = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:
            # A robot filled the trap field: answer as if it worked, file nothing.
            return render(request, "events/public_thanks.html", {"code": ""})
        if rate_limit_hit("public-report", client_address(request), settings.PUBLIC_REPORT_RATE):
            limited = True
            form.add_error(None, _("Too many reports from your network in a short time. Please try again later "
                                   "or call the 12345 hotline."))
        else:
            try:
                event, _created = event_file(
                    actor=None, channel=Channel.RESIDENT, category=data["category"], description=data["description"],
                    latitude=data["latitude"], longitude=data["longitude"], address=data["address"],
                    attachments=data["photos"], idempotency_key=f"public-{data['idempotency_key']}",
                    reporter_name=data["reporter_name"], reporter_contact=data["reporter_contact"],
                )
            except ValidationError as error:
                put_errors(form, error)
            else:
                return redirect("public_thanks", code=event.tracking_code)
    status = 429 if limited else 200
    return render(request, "events/public_report.html", {"form": form, "building": building, "boundaries": city_outlines(),
                                                         "texts": draft_texts(), "check_texts": check_texts()},
                  status=status)


def city_outlines() -> list[dict]:
    """The outlines of the top of the area tree (the city), so a resident's map shows
    where the city is even without tiles. Public information, no grid detail."""
    return [{"code": area.code, "name": area.name, "boundary": area.boundary}
            for area in Area.objects.filter(depth=1, boundary__isnull=False).order_by("path")[:5]]


def public_thanks(request, code):
    event = event_public_status(code)
    return render(request, "events/public_thanks.html", {"code": event.tracking_code if event else ""})


def public_track(request):
    form = TrackForm(request.GET or None)
    event = None
    searched = bool(request.GET.get("code"))
    if searched and form.is_valid():
        event = event_public_status(form.cleaned_data["code"])
    context = {"form": form, "event": event, "searched": searched}
    if event is not None:
        photos = list(public_photos(event))
        context.update(steps=public_progress(event), report_photos=[p for p in photos if p.stage == AttachmentStage.REPORT],
                       result_photos=[p for p in photos if p.stage != AttachmentStage.REPORT])
    return render(request, "events/public_track.html", context, status=404 if searched and event is None else 200)


def public_track_photo(request, code, attachment_id):
    """A photo of the resident's own case: what they sent, or the result (thumbnail)."""
    event = event_public_status(code)
    item = event and public_photos(event).filter(pk=attachment_id).first()
    if not item:
        raise Http404("No such photo")
    return attachment_response(item, thumbnail=True, private=False)


def public_case_token(event_id: int) -> str:
    return signing.dumps(event_id, salt=CASE_SALT)


def public_nearby(request):
    """Open reports of the same kind near the point, shown before a resident submits
    (as FixMyStreet does): no description, photo or person, only what and how far, with
    a page to follow the case instead of filing it again."""
    point = point_and_category(request.GET)
    if point is None or point[2] is None or rate_limit_hit("public-nearby", client_address(request), "120/h"):
        return JsonResponse({"nearby": []})
    latitude, longitude, category = point
    found = filing_check(None, category_id=category, latitude=latitude, longitude=longitude)
    return JsonResponse({"nearby": [
        {"category": event.category.label, "state": str(event.state_label), "distance": distance,
         "reported": event.reported_at.date().isoformat(),
         "url": reverse("public_case", args=[public_case_token(event.pk)])}
        for distance, event in found["nearby"] if event.category.is_public
    ]})


def public_case(request, token):
    """Another resident's report, followed without their tracking code: what, where
    roughly and how far it got (no description, photos, address or people)."""
    try:
        event_id = signing.loads(token, salt=CASE_SALT)
    except signing.BadSignature:
        raise Http404("No such case") from None
    event = Event.objects.filter(pk=event_id).select_related("category", "category__parent", "grid").first()
    if event is None:
        raise Http404("No such case")
    return render(request, "events/public_case.html", {"event": event, "steps": public_progress(event)})
