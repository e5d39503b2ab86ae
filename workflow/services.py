"""The one entry point that changes an event's state: ``event_transition``.

It locks the event, checks who may act and the transition's guard, applies the
transition's effect, stops and starts the stage timers, writes the timeline row in the
same transaction and queues notifications for after the commit."""

import secrets
from datetime import datetime

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm

from accounts.models import Role
from accounts.scoping import access_department, access_event, events_visible_to
from events.models import ClosureType, DepartmentRole, Event, EventDepartment
from grids.models import Area, AreaLevel
from workflow import selectors
from workflow.grants import ENDS_ASSIGNMENTS, event_grants_revoke_stale
from workflow.machine import FILING, MACHINE, Actor, Context, State
from workflow.models import ChangeRequest, RequestKind, RequestStatus, Stage, TimelineEntry
from workflow.notifications import email_reporter, notify, sms_reporter
from workflow.permissions import actors_for
from workflow.signals import timeline_recorded
from workflow.sms import mobile_number
from workflow.timers import event_refresh_light, sla_limits, timers_extend, timers_pause, timers_resume, timers_start, timers_stop

# Levels that have a command center, from the bottom up.
COMMAND_LEVELS = (AreaLevel.STREET, AreaLevel.DISTRICT, AreaLevel.CITY, AreaLevel.PROVINCE)


class TransitionRefused(Exception):
    """A transition that may not fire now. ``code`` is stable (``forbidden``, ``state``,
    ``guard``, ``unknown``); ``reason`` is for people."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = str(reason)


def timeline_write(*, event, actor, transition: str, from_state: str, to_state: str, note: str = "", data=None,
                   at: datetime | None = None, actor_kind: str | None = None) -> TimelineEntry:
    """The one helper that writes a timeline row."""
    if actor_kind is None:
        actor_kind = "user" if actor is not None else "system"
    entry = TimelineEntry.objects.create(
        event=event, at=at or timezone.now(), actor=actor, actor_kind=actor_kind, transition=transition,
        from_state=from_state, to_state=to_state, note=note or "", data=data or {},
    )
    timeline_recorded.send(sender=TimelineEntry, entry=entry, event=event)
    return entry


def command_center_for(area: Area) -> Area:
    """The nearest node at or above ``area`` that has a command center."""
    from accounts.scoping import ancestor_paths

    nodes = Area.objects.filter(path__in=ancestor_paths(area.path), level__in=COMMAND_LEVELS).order_by("-depth")
    return nodes.first() or area


def parent_command_center(area: Area) -> Area | None:
    from accounts.scoping import ancestor_paths

    above = ancestor_paths(area.path)[:-1]
    return Area.objects.filter(path__in=above, level__in=COMMAND_LEVELS).order_by("-depth").first()


# --- Parameters ----------------------------------------------------------------------------


def _resolve(name: str, *, actor, event: Event, params: dict) -> dict:
    """Turn ids in the parameters into objects the actor may see (``Http404`` if not)."""
    resolved = dict(params)
    if name == "merge" and params.get("into") is not None:
        into = params["into"]
        into_id = into.pk if isinstance(into, Event) else into
        access_event(actor, into_id)
        resolved["into"] = Event.objects.select_for_update().get(pk=into_id)
    if name == "dispatch":
        primary = params.get("primary")
        if primary is not None:
            resolved["primary"] = access_department(actor, getattr(primary, "pk", primary))
        resolved["assisting"] = [access_department(actor, getattr(item, "pk", item)) for item in params.get("assisting") or []]
        resolved["now"] = timezone.now()  # for the guard on an earlier deadline
    if name == "escalate":
        resolved["parent_center"] = parent_command_center(event.command_area)
    if name == "assign":
        resolved["assignee"] = selectors.department_colleague(event.primary_department_id, params.get("assignee"))
    if name == "request_postponement" and params.get("amount") is not None:
        try:
            resolved["amount"] = int(params["amount"])
        except (TypeError, ValueError):
            resolved["amount"] = None
    return resolved


# --- Effects (one per transition that changes more than the state) ------------------------------


def _accept(event, actor, params, now):
    event.accepted_at = now
    return ["accepted_at"]


def _reject(event, actor, params, now):
    event.closed_at = now
    return ["closed_at"]


def _merge(event, actor, params, now):
    into = params["into"]
    event.merged_into = into
    event.closed_at = now
    timeline_write(event=into, actor=actor, transition="merged_here", from_state=into.state, to_state=into.state,
                   note=_("Event %(code)s was merged into this one.") % {"code": event.code}, data={"event": event.pk}, at=now)
    return ["merged_into", "closed_at"]


def _end_assignments(event, now):
    EventDepartment.objects.filter(event=event, ended_at__isnull=True).update(ended_at=now)
    event.primary_department = None


def _dispatch(event, actor, params, now):
    primary, assisting = params["primary"], params.get("assisting") or []
    _end_assignments(event, now)
    EventDepartment.objects.bulk_create(
        [EventDepartment(event=event, department=primary, role=DepartmentRole.PRIMARY, assigned_at=now)]
        + [EventDepartment(event=event, department=department, role=DepartmentRole.ASSISTING, assigned_at=now)
           for department in assisting]
    )
    for department in [primary, *assisting]:
        if department.group_id:
            assign_perm("events.view_event", department.group, event)
    event.primary_department = primary
    event.dispatched_at = now
    event.handle_by = params.get("handle_by")
    event.handler = None
    members = selectors.department_members([primary.pk, *(department.pk for department in assisting)])
    _notify(event, members, "dispatched")
    return ["primary_department", "dispatched_at", "handle_by", "handler"]


def _return(event, actor, params, now):
    _end_assignments(event, now)
    event.return_count += 1
    event.handler = None
    _notify(event, selectors.command_center_staff(event), "returned", reason=params["reason"])
    return ["primary_department", "return_count", "handler"]


def _assign(event, actor, params, now):
    event.handler = params["assignee"]
    _notify(event, {event.handler.pk}, "assigned")
    return ["handler"]


def _sign(event, actor, params, now):
    event.signed_at = now
    event.handler = actor
    return ["signed_at", "handler"]


def _feedback(event, actor, params, now):
    event.result = params["result"]
    event.handled_at = now
    _notify(event, selectors.grid_verifiers(event), "verify")
    return ["result", "handled_at"]


def _request_postponement(event, actor, params, now):
    ChangeRequest.objects.create(event=event, kind=RequestKind.POSTPONE, reason=params["reason"], amount=params["amount"],
                                 unit=params["unit"], requested_by=actor, requested_at=now)
    _notify(event, selectors.command_center_staff(event), "postponement_requested")
    return []


def _decide(event, actor, kind, status, params, now) -> ChangeRequest:
    request = ChangeRequest.objects.select_for_update().get(event=event, kind=kind, status=RequestStatus.PENDING)
    request.status = status
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = params.get("note") or ""
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _notify(event, {request.requested_by_id}, f"{kind}_{status}", message="request_decided", status=status)
    return request


def _approve_postponement(event, actor, params, now):
    request = _decide(event, actor, RequestKind.POSTPONE, RequestStatus.APPROVED, params, now)
    timers_extend(event=event, stages=(Stage.HANDLE, Stage.TOTAL), amount=request.amount, unit=request.unit, at=now)
    event.postpone_count += 1
    return ["postpone_count"]


def _deny_postponement(event, actor, params, now):
    _decide(event, actor, RequestKind.POSTPONE, RequestStatus.DENIED, params, now)
    return []


def _request_suspension(event, actor, params, now):
    ChangeRequest.objects.create(event=event, kind=RequestKind.SUSPEND, reason=params["reason"], requested_by=actor,
                                 requested_at=now)
    _notify(event, selectors.supervisors(event) - {actor.pk}, "suspension_requested")
    return []


def _approve_suspension(event, actor, params, now):
    _decide(event, actor, RequestKind.SUSPEND, RequestStatus.APPROVED, params, now)
    timers_pause(event=event, at=now)
    event.is_suspended = True
    return ["is_suspended"]


def _deny_suspension(event, actor, params, now):
    _decide(event, actor, RequestKind.SUSPEND, RequestStatus.DENIED, params, now)
    return []


def _resume(event, actor, params, now):
    timers_resume(event=event, at=now)
    event.is_suspended = False
    return ["is_suspended"]


def _escalate(event, actor, params, now):
    parent = params["parent_center"]
    event.command_area = parent
    event.escalation_level += 1
    if event.state in (State.DISPATCHED, State.HANDLING):
        _end_assignments(event, now)
        event.handler = None
    _notify(event, selectors.users_with_role_on([parent.pk], [Role.DISPATCHER]), "escalated")
    return ["command_area", "escalation_level", "primary_department", "handler"]


def _supervise(event, actor, params, now):
    event.is_supervised = True
    event.supervise_count += 1
    people = selectors.command_center_staff(event)
    if event.primary_department_id:
        people |= selectors.department_members([event.primary_department_id])
    _notify(event, people - {actor.pk}, "supervised")
    return ["is_supervised", "supervise_count"]


def _verify_pass(event, actor, params, now):
    event.verified_at = now
    event.rating_token = secrets.token_urlsafe(24)
    link = reverse("events:rate", args=[event.rating_token])
    # The reporter rates; for staff reports that is the grid worker who filed it.
    if event.reporter_id:
        _notify(event, {event.reporter_id}, "rate", url=link)
    elif event.reporter_contact_cipher:
        _send_rating_link(event, link)
    return ["verified_at", "rating_token"]


def _send_rating_link(event, link):
    """A reporter without an account gets the link by SMS (a mobile number) or email, in
    the platform's language (the verifier's language says nothing about the resident's)."""
    from django.conf import settings

    from events.reporter import reporter_identity

    # Event.reporter_contact holds only a mask (issue 13): the clear contact comes from its cipher.
    contact = reporter_identity(event).contact
    address = f"{settings.SITE_URL.rstrip('/')}{link}"
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Case %(code)s is resolved: please rate it") % {"code": event.code}
        if phone := mobile_number(contact):
            sms_reporter(phone=phone, text=_("[Grid service] Your report %(code)s is resolved. Please rate the handling: "
                                             "%(link)s") % {"code": event.code, "link": address})
        elif "@" in contact:
            email_reporter(address=contact, subject=subject, body=address)


def _verify_fail(event, actor, params, now):
    event.rework_count += 1
    event.handled_at = None
    if event.primary_department_id:
        people = selectors.department_members([event.primary_department_id])
    else:
        people = selectors.command_center_staff(event)
    _notify(event, people, "rework")
    return ["rework_count", "handled_at"]


def _closure(event, now):
    event.closed_at = now
    event.closure_type = ClosureType.OVERDUE if event.was_overdue else ClosureType.NORMAL
    return ["closed_at", "closure_type"]


def _assess(event, actor, params, now):
    event.rating = params["rating"]
    event.rating_comment = params.get("comment") or ""
    if params.get("evaluation"):
        event.evaluation = params["evaluation"]
    event.rated_at = now
    event.rating_token = None
    return ["rating", "rating_comment", "evaluation", "rated_at", "rating_token", *_closure(event, now)]


def _rate(event, actor, params, now):
    event.rating = params["rating"]
    event.rating_comment = params.get("comment") or ""
    event.rated_at = now
    event.rating_token = None
    _notify(event, selectors.command_center_staff(event), "rated")
    return ["rating", "rating_comment", "rated_at", "rating_token"]


def _close(event, actor, params, now):
    event.evaluation = params.get("evaluation") or event.evaluation
    event.rating_token = None
    return ["evaluation", "rating_token", *_closure(event, now)]


def _close_special(event, actor, params, now):
    _end_assignments(event, now)
    event.closed_at = now
    event.closure_type = ClosureType.SPECIAL
    return ["closed_at", "closure_type", "primary_department"]


def _archive(event, actor, params, now):
    from events.selectors import event_dossier

    event.archived_at = now
    event.dossier = event_dossier(event)
    return ["archived_at", "dossier"]


EFFECTS = {
    "accept": _accept, "reject": _reject, "merge": _merge, "dispatch": _dispatch, "return": _return, "assign": _assign, "sign": _sign,
    "feedback": _feedback, "request_postponement": _request_postponement,
    "approve_postponement": _approve_postponement, "deny_postponement": _deny_postponement,
    "request_suspension": _request_suspension, "approve_suspension": _approve_suspension,
    "deny_suspension": _deny_suspension, "resume": _resume, "escalate": _escalate, "supervise": _supervise,
    "verify_pass": _verify_pass, "verify_fail": _verify_fail, "rate": _rate, "assess": _assess, "close": _close,
    "close_special": _close_special, "archive": _archive,
}


def _notify(event, user_ids, kind, url=None, *, message=None, **params):
    """Notify ``user_ids`` of ``event``: the message of ``kind`` (or ``message``) with the
    case number and ``params``, rendered for each reader in their language."""
    notify(user_ids=user_ids, event=event, kind=kind, message=message or kind, params={"code": event.code, **params},
           body=event.description[:200], url=url or reverse("events:detail", args=[event.pk]))


# --- The entry point -----------------------------------------------------------------------------

# Transitions whose guard looks at the pending change requests.
NEEDS_PENDING = {"request_postponement", "approve_postponement", "deny_postponement", "request_suspension",
                 "approve_suspension", "deny_suspension"}
REFUSED_ACTOR = gettext_lazy("Only %(who)s may do this.")
REFUSED_STATE = gettext_lazy("“%(action)s” is not possible while the event is %(state)s.")


def event_transition(*, actor, event_id, name: str, token: str | None = None, attachments=(), **params) -> Event:
    """Fire transition ``name`` on the event as ``actor`` (a user; ``None`` with a
    ``token`` for the reporter's rating link; ``None`` without one for the timer sweep).

    Raises ``Http404`` when the actor may not see the event, ``TransitionRefused``
    when the transition may not fire now."""
    transition = MACHINE.get(name)
    if transition is None or name in FILING:
        raise TransitionRefused("unknown", _("There is no action called “%(name)s”.") % {"name": name})
    with transaction.atomic():
        # One query finds the event among those the actor may see and locks it.
        if actor is not None:
            candidates = events_visible_to(actor)
        elif token is not None:
            candidates = Event.objects.filter(rating_token=token)
        else:
            candidates = Event.objects.all()
        try:
            event = (candidates.select_for_update(of=("self",)).select_related("grid", "command_area", "category")
                     .get(pk=event_id))
        except (Event.DoesNotExist, ValueError, TypeError):
            raise Http404("No such event") from None
        actors = actors_for(actor, event, token=token)
        if not actors & set(transition.actors):
            who = ", ".join(str(Actor(kind).label) for kind in transition.actors)
            raise TransitionRefused("forbidden", REFUSED_ACTOR % {"who": who})
        if event.state not in transition.sources:
            raise TransitionRefused("state", REFUSED_STATE % {"action": transition.label, "state": State(event.state).label})
        resolved = _resolve(name, actor=actor, event=event, params=params)
        pending = frozenset(
            ChangeRequest.objects.filter(event=event, status=RequestStatus.PENDING).values_list("kind", flat=True)
        ) if name in NEEDS_PENDING else frozenset()
        reason = transition.guard(Context(event, resolved, pending))
        if reason:
            raise TransitionRefused("guard", reason)

        now = timezone.now()
        from_state = event.state
        to_state = transition.target_for(event)
        starts = transition.starts_for(event)
        changed = set(EFFECTS.get(name, lambda *args: [])(event, actor, resolved, now))
        event.state = to_state
        if transition.stops:
            timers_stop(event=event, stages=transition.stops, at=now)
        if starts:
            timers_start(event=event, stages=starts, at=now, limits=sla_limits(category_id=event.category_id, urgency=event.urgency),
                         handle_by=event.handle_by)
        changed |= {"state", *event_refresh_light(event)}
        event.save(update_fields=sorted(changed | {"updated_at"}))
        if name in ENDS_ASSIGNMENTS:
            event_grants_revoke_stale(event=event)
        stage = {"feedback": "feedback", "verify_pass": "verify", "verify_fail": "verify"}.get(name, "report")
        saved = _save_attachments(event, actor, attachments, stage)
        note = resolved.get("reason") or resolved.get("note") or resolved.get("result") or resolved.get("comment") or ""
        timeline_write(event=event, actor=actor, transition=name, from_state=from_state, to_state=to_state, note=note,
                       data=_timeline_data(event, name, resolved, saved), at=now,
                       actor_kind=None if token is None else "reporter")
    return event


def _save_attachments(event, actor, attachments, stage):
    if not attachments:
        return []
    from events.services import attachments_add

    return attachments_add(event=event, actor=actor, files=attachments, stage=stage)


def _verifier_position(event, position) -> dict:
    """Proof of presence: where the verifier stood, and how far that is from the event."""
    from events.selectors import distance_metres

    latitude, longitude = position
    data = {"position": [round(latitude, 6), round(longitude, 6)]}
    if event.latitude is not None and event.longitude is not None:
        data["distance"] = round(distance_metres(event.latitude, event.longitude, latitude, longitude))
    return data


def _timeline_data(event, name, params, attachments) -> dict:
    data = {}
    if name == "dispatch":
        data["primary"] = params["primary"].pk
        data["assisting"] = [department.pk for department in params.get("assisting") or []]
        if params.get("handle_by"):
            data["handle_by"] = params["handle_by"].isoformat()
    if name == "merge":
        data["into"] = params["into"].pk
    if name == "escalate":
        data["to"] = params["parent_center"].pk
    if name in ("request_postponement",):
        data.update(amount=params.get("amount"), unit=params.get("unit"))
    if name in ("assess", "rate"):
        data["rating"] = params.get("rating")
    if name == "assign":
        data["assignee"] = params["assignee"].pk
    if name in ("verify_pass", "verify_fail") and params.get("position"):
        data.update(_verifier_position(event, params["position"]))
    if attachments:
        data["attachments"] = [attachment.pk for attachment in attachments]
    return data
