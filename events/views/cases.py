"""Event pages: the inbox (list with filters), the detail with the actions allowed now,
attachments, the rating link, notifications. Every page goes through the scoping
selectors; an event out of scope is a 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import access_event, departments_visible_to, event_ids_visible_among, event_visible_to, events_visible_to
from events.attachments import attachment_response
from events.models import AttachmentStage, Category, Channel, Light, Rating
from events.reporter import can_reveal_reporter, event_reporter_reveal
from events.selectors import (
    RESULT_STAGES,
    default_department_for,
    event_for_rating,
    events_filtered,
    keyset_page,
    public_photos,
)
from workflow.dispatching import ACCEPT_DISPATCH, event_accept_dispatch
from workflow.machine import State
from workflow.models import ChangeRequest, RequestKind, RequestStatus, Stage, TimeUnit
from workflow.selectors import department_colleagues, transitions_available, with_pending_requests
from workflow.services import TransitionRefused, event_transition

DECISIONS = {"approve_postponement", "deny_postponement", "approve_suspension", "deny_suspension", "resume"}


def _int_or_none(value):
    return int(value) if value and str(value).isdigit() else None


@login_required
def event_list(request):
    """The inbox: events in scope, newest first, with filters; htmx swaps only the table."""
    get = request.GET
    filters = {
        "state": get.get("state", "") if get.get("state", "") in State.values else "",
        "light": get.get("light", "") if get.get("light", "") in Light.values else "",
        "big_class": _int_or_none(get.get("big_class")),
        "grid": get.get("grid", "").strip()[:32],
        "query": get.get("q", "").strip()[:60],
        "channel": get.get("channel", "") if get.get("channel", "") in Channel.values else "",
        "mine": get.get("mine") == "1",
        "pending": get.get("pending") == "1",
    }
    listed = events_filtered(request.user, **{name: value for name, value in filters.items() if name != "pending"})
    events, next_cursor = keyset_page(with_pending_requests(listed, only=filters["pending"]), get.get("after", ""))
    query = get.copy()
    query.pop("after", None)
    context = {
        "events": events, "next_cursor": next_cursor, "filters": filters, "query_string": query.urlencode(),
        "first_page": not get.get("after"), "states": State.choices, "title": _list_title(request.user, filters), "lights": Light.choices, "channels": Channel.choices,
        "big_classes": Category.objects.filter(parent__isnull=True, is_active=True).order_by("order", "code"),
    }
    # htmx asks for the rows only; a history restore after a cache miss needs the page.
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    response = render(request, "events/_event_rows.html" if partial else "events/event_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _list_title(user, filters) -> str:
    """What the list is to the person reading it (its rows are the same scoped query)."""
    from governance.context_processors import user_workplaces

    if filters["mine"]:
        return _("My events")
    if filters["pending"]:
        return _("Events with requests to decide")
    workplaces = user_workplaces(user)
    if workplaces["command"]:
        return _("Inbox")
    if workplaces["department"]:
        return _("Events of my department")
    if workplaces["grid"]:
        return _("Events in my grids")
    return _("Events")


# The action most likely wanted comes first and opens; refusals and rare steps follow.
LIKELY_FIRST = ("sign", "feedback", "verify_pass", "accept_dispatch", "accept", "dispatch", "approve_postponement",
                "approve_suspension", "assess", "close", "archive")


def _likely_first(actions):
    order = {name: index for index, name in enumerate(LIKELY_FIRST)}
    return sorted(actions, key=lambda item: order.get(item[0].name, len(order)))


@login_required
def event_detail(request, event_id):
    event = access_event(request.user, event_id)
    return render(request, "events/event_detail.html", _detail_context(request, event))


def _detail_context(request, event, *, failed: dict | None = None) -> dict:
    """The event page's context; ``failed`` ({"name", "error", "values"}) shows a refused
    action's form again, open, with what was typed and the reason under it."""
    # Decisions on a request nobody made (and resuming what is not suspended) are left out.
    # The reporter's own rating step ("rate") is their link's, not a staff action.
    actions = [(transition, reason) for transition, reason in transitions_available(request.user, event)
               if not (reason and transition.name in DECISIONS) and transition.name != "rate"]
    if any(transition.name == "accept" and not reason for transition, reason in actions):
        actions.append((ACCEPT_DISPATCH, None))
    actions = _likely_first(actions)
    attachments = list(event.attachments.all())
    postponements = list(ChangeRequest.objects.filter(event=event, kind=RequestKind.POSTPONE, status=RequestStatus.APPROVED)
                         .order_by("decided_at"))
    context = {
        "event": event,
        "timeline": event.timeline.select_related("actor"),
        "photo_groups": photo_groups(attachments),
        "postponements": postponements,
        "postponed_stages": POSTPONED_STAGES if postponements else (),
        "documents": [item for item in attachments if not item.is_image],
        "timers": event.timers.order_by("started_at", "id"),
        "actions": actions,
        "requests": ChangeRequest.objects.filter(event=event, status=RequestStatus.PENDING).select_related("requested_by"),
        "units": TimeUnit.choices,
        "ratings": Rating.choices,
        "departments_now": event.assignments.filter(ended_at__isnull=True).select_related("department"),
        "grid_boundary": event.grid.boundary,
        "just_filed": request.GET.get("filed") == "1",
        "failed": failed or {},
        "may_reveal_reporter": can_reveal_reporter(request.user, event),
        # The other events this one names, as far as the user may see them (a duplicate
        # hint may point across a boundary; a merge into another department's case).
        "related_visible": event_ids_visible_among(request.user, {event.duplicate_of_id, event.merged_into_id}),
    }
    names = {transition.name for transition, _reason in actions}
    if names & {"dispatch", ACCEPT_DISPATCH.name}:
        context["departments"] = departments_visible_to(request.user).filter(is_active=True).select_related("area").order_by(
            "area__path", "code")
        context["default_department"] = default_department_for(event)
    if "assign" in names:
        context["colleagues"] = department_colleagues(event.primary_department_id)
    if "merge" in names and event.duplicate_of_id:
        # Offered only when the user may see it (a hint may point across a boundary).
        duplicate = event_visible_to(request.user, event.duplicate_of_id).first()
        context["duplicate"] = duplicate if duplicate and duplicate.is_open else None
    return context


# The stages an approved postponement moves (``workflow.services._approve_postponement``).
POSTPONED_STAGES = (Stage.HANDLE, Stage.TOTAL)


def photo_groups(attachments) -> list[tuple[str, list]]:
    """The event's photos by the stage they were taken at (上报 / 处置 / 核查 …), in the
    order of the loop."""
    groups = {}
    for item in attachments:
        if item.is_image:
            groups.setdefault(item.stage, []).append(item)
    return [(str(AttachmentStage(stage).label), groups[stage]) for stage in AttachmentStage.values if stage in groups]


def _float_or_none(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _params(name, post) -> dict:
    params = {key: post.get(key, "").strip() for key in ("reason", "note", "result", "comment", "evaluation", "rating", "unit")}
    params = {key: value for key, value in params.items() if value}
    if name in ("dispatch", ACCEPT_DISPATCH.name):
        params["primary"] = post.get("primary") or None
        params["assisting"] = [value for value in post.getlist("assisting") if value and value != params["primary"]]
        params["handle_by"] = _moment(post.get("handle_by", ""))
    if name in ("verify_pass", "verify_fail"):
        latitude, longitude = _float_or_none(post.get("latitude")), _float_or_none(post.get("longitude"))
        if latitude is not None and longitude is not None and -90 <= latitude <= 90 and -180 <= longitude <= 180:
            params["position"] = (latitude, longitude)
    if name == "assign":
        params["assignee"] = post.get("assignee") or None
    if name == "merge":
        params["into"] = post.get("into") or None
    if name == "request_postponement":
        params["amount"] = post.get("amount")
    return params


def _moment(value: str):
    """A ``datetime-local`` value in the platform's time zone (``None`` when empty or unreadable)."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(value.strip()) if value.strip() else None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@login_required
@require_POST
def event_act(request, event_id, name):
    event = access_event(request.user, event_id)
    params = _params(name, request.POST)
    if name == "merge" and params.get("into") and not str(params["into"]).isdigit():
        # The form takes the event number people see (e.g. 20261201-000017).
        params["into"] = events_visible_to(request.user).filter(code=params["into"].strip()).values_list("pk", flat=True).first()
    try:
        if name == ACCEPT_DISPATCH.name:
            event_accept_dispatch(actor=request.user, event_id=event.pk, primary=params.get("primary"),
                                  assisting=params["assisting"], note=params.get("note", ""), handle_by=params["handle_by"])
        else:
            event_transition(actor=request.user, event_id=event.pk, name=name,
                             attachments=request.FILES.getlist("photos"), **params)
    except (TransitionRefused, ValidationError) as problem:
        # Show the form again with what was typed (photos must be chosen again).
        error = problem.reason if isinstance(problem, TransitionRefused) else " ".join(problem.messages)
        event = access_event(request.user, event.pk)
        failed = {"name": name, "error": error, "values": request.POST}
        return render(request, "events/event_detail.html", _detail_context(request, event, failed=failed), status=400)
    messages.success(request, _("Done: %(action)s.") % {"action": _action_label(name)})
    return redirect("events:detail", event_id=event.pk)


def _action_label(name: str) -> str:
    from workflow.machine import MACHINE

    transition = ACCEPT_DISPATCH if name == ACCEPT_DISPATCH.name else MACHINE.get(name)
    return str(transition.label) if transition else name


@login_required
def attachment(request, event_id, attachment_id, thumbnail=False):
    """A photo or document of an event the user may see (files are never public)."""
    event = access_event(request.user, event_id)
    item = event.attachments.filter(pk=attachment_id).first()
    if item is None:
        raise Http404("No such attachment")
    return attachment_response(item, thumbnail=thumbnail)


def event_rate(request, token):
    """The reporter's rating page, reached from the link they receive (no account). A
    link that was used, or whose case was closed by the command center, says so."""
    event = event_for_rating(token)
    if event is None:
        return render(request, "events/rate_gone.html", status=404)
    error = None
    if request.method == "POST":
        try:
            # Closed by the rating, or by the command center after its follow-up call (回访).
            name = "rate" if settings.EVENT_CLOSURE_AFTER_RATING == "callback" else "assess"
            event_transition(actor=None, token=token, event_id=event.pk, name=name,
                             rating=request.POST.get("rating"), comment=request.POST.get("comment", "").strip()[:1000])
        except TransitionRefused as refusal:
            error = refusal.reason
        except Http404:  # rated or closed a moment ago, in another tab
            return render(request, "events/rate_gone.html", status=404)
        else:
            return render(request, "events/rate_thanks.html", {"event": event})
    return render(request, "events/rate.html", {
        "event": event, "ratings": Rating.choices, "error": error, "comment": request.POST.get("comment", ""),
        "photos": public_photos(event, stages=RESULT_STAGES), "token": token,
    }, status=400 if error else 200)


def event_rate_photo(request, token, attachment_id):
    """A result photo of the case the rating link is for (thumbnail size)."""
    event = event_for_rating(token)
    item = event and public_photos(event, stages=RESULT_STAGES).filter(pk=attachment_id).first()
    if not item:
        raise Http404("No such photo")
    return attachment_response(item, thumbnail=True, private=False)


@login_required
def notification_list(request):
    from workflow.notifications import notification_mark_read

    notes = list(request.user.notifications.select_related("event")[:100])
    notification_mark_read(user=request.user, notification_ids=[note.pk for note in notes if note.read_at is None])
    return render(request, "events/notification_list.html", {"notifications": notes})



@login_required
def event_reporter(request, event_id):
    """The reporter's name and contact in clear, for a role allowed to call them back,
    with a reason (written to the access log); the event page shows only the masks."""
    from django import forms

    class RevealForm(forms.Form):
        reason = forms.CharField(label=_("reason"), max_length=200)

    event = access_event(request.user, event_id)
    if not can_reveal_reporter(request.user, event):
        raise Http404("Nothing to reveal")
    form, identity = RevealForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        try:
            identity = event_reporter_reveal(actor=request.user, event=event, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
    response = render(request, "events/event_reporter.html", {"event": event, "form": form, "identity": identity})
    response["Cache-Control"] = "no-store"
    return response
