"""The one entry point that fires any transition of the machine, filing included.

``event_transition`` (and ``event_file``, the same entry point for the machine's first
transition) checks who may act, the state and the transition's guard, applies the
transition's effect (``workflow.effects``), stops and starts the stage timers, writes the
timeline row and the side-effect rows (notifications, webhook deliveries) in one
transaction, and hands their delivery to the worker after the commit."""

import secrets

from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scoping import access_department, access_event, may_see_event
from events.models import Event, Urgency
from events.services import (
    DaySequenceMissing,
    attachments_add,
    event_by_idempotency_key,
    event_draft,
    event_draft_files_store,
    event_relations_cached,
)
from governance import pipeline
from governance.prepared import BIGINT, Prepared
from workflow import selectors
from workflow.centers import parent_command_center
from workflow.effects import EFFECTS
from workflow.filing import filing_record
from workflow.grants import ENDS_ASSIGNMENTS, event_grants_revoke_stale
from workflow.machine import FILING, MACHINE, Actor, Context, State
from workflow.models import ChangeRequest, RequestStatus
from workflow.permissions import actors_for
from workflow.timeline import timeline_write
from workflow.timers import event_refresh_light, live_timers_read, sla_limits, timers_start, timers_stop


class TransitionRefused(Exception):
    """A transition that may not fire now. ``code`` is stable (``forbidden``, ``state``,
    ``guard``, ``unknown``); ``reason`` is for people."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = str(reason)


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
        # Each assisting department once (named twice, it would be assigned twice).
        assisting = dict.fromkeys(getattr(item, "pk", item) for item in params.get("assisting") or [])
        resolved["assisting"] = [access_department(actor, item) for item in assisting]
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


# --- The entry point -----------------------------------------------------------------------------

# Transitions whose guard looks at the pending change requests.
NEEDS_PENDING = {"request_postponement", "approve_postponement", "deny_postponement", "request_suspension",
                 "approve_suspension", "deny_suspension"}
REFUSED_ACTOR = gettext_lazy("Only %(who)s may do this.")
REFUSED_STATE = gettext_lazy("“%(action)s” is not possible while the event is %(state)s.")


def event_transition(*, actor, event_id=None, name: str, token: str | None = None, attachments=(), **params) -> Event:
    """Fire transition ``name`` on the event as ``actor`` (a user; ``None`` with a
    ``token`` for the reporter's rating link; ``None`` without one for the timer sweep).
    The filing transitions (``report``, ``report_onsite``) take no ``event_id`` but the
    parameters of ``event_file`` and return the new (or, for a retried idempotency key,
    the first) event.

    Raises ``Http404`` when the actor may not see the event, ``TransitionRefused``
    when the transition may not fire now, ``ValidationError`` for a filing's bad input."""
    return _fire(actor=actor, event_id=event_id, name=name, token=token, attachments=attachments, params=params)[0]


def event_file(*, actor, channel: str, category, description: str, latitude: float | None = None,
               longitude: float | None = None, grid=None, address: str = "", urgency: str = Urgency.NORMAL,
               attachments=(), idempotency_key: str | None = None, resolved_on_site: bool = False, result: str = "",
               onsite_attachments=(), reporter_name: str = "", reporter_contact: str = "", extra=None,
               reported_at=None) -> tuple[Event, bool]:
    """File an event: the machine's ``report`` transition (``report_onsite`` with
    ``resolved_on_site``, 就地解决: handled by the grid worker with the result and
    after-photos, straight into verification), through the one entry point.

    Returns ``(event, created)``: a retried submission with the same ``idempotency_key``
    returns the first event and ``created=False``. ``ValidationError`` for bad input."""
    params = {"channel": channel, "category": category, "description": description, "latitude": latitude,
              "longitude": longitude, "grid": grid, "address": address, "urgency": urgency,
              "idempotency_key": idempotency_key, "result": result, "onsite_attachments": onsite_attachments,
              "reporter_name": reporter_name, "reporter_contact": reporter_contact, "extra": extra,
              "reported_at": reported_at}
    return _fire(actor=actor, event_id=None, name="report_onsite" if resolved_on_site else "report", token=None,
                 attachments=attachments, params=params)


def _fire(**arguments) -> tuple[Event, bool]:
    try:
        return _fire_once(**arguments)
    except DaySequenceMissing:  # rolled back; this time the day's sequence is created
        return _fire_once(**arguments)


def _fire_once(*, actor, event_id, name, token, attachments, params) -> tuple[Event, bool]:
    transition = MACHINE.get(name)
    filing = name in FILING
    if transition is None or filing != (event_id is None):
        raise TransitionRefused("unknown", _("There is no action called “%(name)s”.") % {"name": name})
    draft = None
    if filing:
        # Filing's own steps come first, outside the transaction: a retried submission
        # returns the first event; the input, the grid and the duplicate hint are read.
        existing = event_by_idempotency_key(actor=actor, key=params.get("idempotency_key"))
        if existing is not None:
            return existing, False
        draft = event_draft(actor=actor, attachments=attachments, resolved_on_site=name == "report_onsite", **params)
    try:
        with transaction.atomic():
            event = draft.event if filing else _locked(actor, event_id, token)
            actors = {Actor.REPORTER} if filing else actors_for(actor, event, token=token, only=transition.actors)
            if not actors & set(transition.actors):
                who = ", ".join(str(Actor(kind).label) for kind in transition.actors)
                raise TransitionRefused("forbidden", REFUSED_ACTOR % {"who": who})
            if not filing and event.state not in transition.sources:
                raise TransitionRefused("state", REFUSED_STATE % {"action": transition.label, "state": State(event.state).label})
            resolved = _resolve(name, actor=actor, event=event, params=params)
            pending = frozenset(
                ChangeRequest.objects.filter(event=event, status=RequestStatus.PENDING).values_list("kind", flat=True)
            ) if name in NEEDS_PENDING else frozenset()
            reason = transition.guard(Context(event, resolved, pending))
            if reason:
                raise TransitionRefused("guard", reason)
            now = event.reported_at if filing else timezone.now()
            from_state = event.state
            to_state = transition.target_for(event)
            if filing:
                _file(event, transition, actor, resolved, now)
                saved, fields = event_draft_files_store(draft), ()
            else:
                saved, fields = _apply(event, transition, actor, resolved, now, to_state, attachments)
            timeline_write(event=event, actor=actor, transition=name, from_state=from_state, to_state=to_state,
                           note=_note(event, name, resolved), data=_timeline_data(event, name, resolved, saved), at=now,
                           actor_kind="reporter" if token is not None or (filing and actor is None) else None,
                           event_fields=fields)
    except IntegrityError:
        # The same key filed at the same moment by a second request: return the first.
        existing = event_by_idempotency_key(actor=actor, key=params.get("idempotency_key")) if filing else None
        if existing is None:
            raise
        return existing, False
    return event, True


# Composed once per process: composing it cost a third of a transition (governance.prepared);
# the row alone, its grid, command center and category come from memory.
_LOCK_BY_KEY = Prepared(lambda pk: Event.objects.select_for_update().filter(pk=pk))
# On PostgreSQL the lock is a statement of its own, held (governance.pipeline) so that it
# goes in one message with the read that follows it: the event and its live timers
# (timers_stop needs them for the light), read in a snapshot taken once the lock is
# held, so what a transaction that held the lock before committed is seen.
_LOCK = f"SELECT 1 FROM {Event._meta.db_table} WHERE id = %s FOR UPDATE"
_READ_LOCKED = Prepared(lambda pk: Event.objects.filter(pk=pk).annotate(live_timers_read=live_timers_read()))


def _locked(actor, event_id, token) -> Event:
    """The event, locked, if the actor may see it (``Http404`` if not): locked by its key,
    then checked against the actor's scope (``may_see_event``), which is cheaper than
    compiling the whole scope into the locking query; a refused actor's lock ends with
    the transaction it rolls back."""
    try:
        key = int(event_id)
        if connection.vendor != "postgresql":
            event = _LOCK_BY_KEY.get(key)
        elif not BIGINT[0] <= key <= BIGINT[1]:  # (the held lock would fail on it)
            raise Event.DoesNotExist
        else:
            pipeline.hold(connection, _LOCK, [key])
            event = _READ_LOCKED.get(key)
    except (Event.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such event") from None
    if actor is None and token is not None and not secrets.compare_digest((event.rating_token or "").encode(), str(token).encode()):
        raise Http404("No such event")  # the reporter's rating link names this event, and only while it is valid
    event_relations_cached(event)
    if actor is not None and not may_see_event(actor, event):
        raise Http404("No such event")
    return event


def _file(event, transition, actor, params, now) -> None:
    """Filing: the new record with its state, number, command center and timers, then the effect."""
    filing_record(event=event, transition=transition, at=now)
    EFFECTS[transition.name](event, actor, params, now)


def _apply(event, transition, actor, params, now, to_state, attachments) -> tuple[list, list[str]]:
    """Any later transition on the locked event: the effect, the timers, the departments'
    grants and the transition's files; returns the files and the event's changed fields,
    which the timeline row's statement saves."""
    starts = transition.starts_for(event)
    changed = set(EFFECTS.get(transition.name, lambda *args: [])(event, actor, params, now))
    event.state = to_state
    live = timers_stop(event=event, stages=transition.stops, at=now)  # and the timers left running
    if starts:
        live += timers_start(event=event, stages=starts, at=now,
                             limits=sla_limits(category_id=event.category_id, urgency=event.urgency), handle_by=event.handle_by)
    fields = sorted(changed | {"state", "updated_at", *event_refresh_light(event, live)})
    if transition.name in ENDS_ASSIGNMENTS:
        event_grants_revoke_stale(event=event)
    if not attachments:
        return [], fields
    stage = {"feedback": "feedback", "verify_pass": "verify", "verify_fail": "verify"}.get(transition.name, "report")
    return attachments_add(event=event, actor=actor, files=attachments, stage=stage), fields


def _note(event, name, params) -> str:
    if name in FILING:
        return event.result if name == "report_onsite" else ""
    return params.get("reason") or params.get("note") or params.get("result") or params.get("comment") or ""


def _verifier_position(event, position) -> dict:
    """Proof of presence: where the verifier stood, and how far that is from the event."""
    from events.selectors import distance_metres

    latitude, longitude = position
    data = {"position": [round(latitude, 6), round(longitude, 6)]}
    if event.latitude is not None and event.longitude is not None:
        data["distance"] = round(distance_metres(event.latitude, event.longitude, latitude, longitude))
    return data


def _timeline_data(event, name, params, attachments) -> dict:
    if name in FILING:
        return {"channel": event.channel, "duplicate_of": event.duplicate_of_id}
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
