"""Event pages: list, detail with the actions allowed now, the rating link, notifications.
Every page goes through the scoping selectors; an event out of scope is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import access_event, departments_visible_to, events_visible_to
from events.models import Event, Rating
from events.selectors import default_department_for
from workflow.machine import State
from workflow.models import ChangeRequest, RequestStatus, TimeUnit
from workflow.selectors import transitions_available
from workflow.services import TransitionRefused, event_transition


@login_required
def event_list(request):
    events = events_visible_to(request.user).select_related("category", "grid")
    state = request.GET.get("state", "")
    if state in State.values:
        events = events.filter(state=state)
    page = Paginator(events.order_by("-reported_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "events/event_list.html", {"page": page, "states": State.choices, "state": state})


@login_required
def event_detail(request, event_id):
    event = access_event(request.user, event_id)
    actions = transitions_available(request.user, event)
    context = {
        "event": event,
        "timeline": event.timeline.select_related("actor"),
        "attachments": event.attachments.all(),
        "timers": event.timers.order_by("started_at", "id"),
        "actions": actions,
        "requests": ChangeRequest.objects.filter(event=event, status=RequestStatus.PENDING),
        "units": TimeUnit.choices,
        "ratings": Rating.choices,
    }
    if any(transition.name == "dispatch" for transition, _reason in actions):
        context["departments"] = departments_visible_to(request.user).filter(is_active=True).order_by("code")
        context["default_department"] = default_department_for(event)
    return render(request, "events/event_detail.html", context)


def _params(name, post) -> dict:
    params = {key: post.get(key, "").strip() for key in ("reason", "note", "result", "comment", "evaluation", "rating", "unit")}
    params = {key: value for key, value in params.items() if value}
    if name == "dispatch":
        params["primary"] = post.get("primary") or None
        params["assisting"] = [value for value in post.getlist("assisting") if value and value != params["primary"]]
    if name == "merge":
        params["into"] = post.get("into") or None
    if name == "request_postponement":
        params["amount"] = post.get("amount")
    return params


@login_required
@require_POST
def event_act(request, event_id, name):
    event = access_event(request.user, event_id)
    try:
        event_transition(actor=request.user, event_id=event.pk, name=name, attachments=request.FILES.getlist("photos"),
                         **_params(name, request.POST))
    except TransitionRefused as refusal:
        messages.error(request, refusal.reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("events:detail", event_id=event.pk)


def event_rate(request, token):
    """The reporter's rating page, reached from the link they receive (no account)."""
    event = Event.objects.filter(rating_token=token).select_related("category").first()
    if event is None:
        raise Http404("No such rating link")
    if request.method == "POST":
        try:
            event_transition(actor=None, token=token, event_id=event.pk, name="assess",
                             rating=request.POST.get("rating"), comment=request.POST.get("comment", "").strip())
        except TransitionRefused as refusal:
            messages.error(request, refusal.reason)
        else:
            return render(request, "events/rate_thanks.html", {"event": event})
    return render(request, "events/rate.html", {"event": event, "ratings": Rating.choices})


@login_required
def notification_list(request):
    from workflow.notifications import notification_mark_read

    notes = request.user.notifications.select_related("event")[:100]
    notes = list(notes)
    notification_mark_read(user=request.user, notification_ids=[note.pk for note in notes if note.read_at is None])
    return render(request, "events/notification_list.html", {"notifications": notes})
