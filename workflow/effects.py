"""What each transition does besides changing the state (its *effect*): one function
per transition, called by the entry point (``workflow.services``) on the locked event
inside its transaction. An effect sets the event's fields and returns their names (the
entry point saves them), writes its own rows (assignments, change requests) and the
notifications of who must act next, as rows in the same transaction."""

import secrets

from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Role
from events.models import ClosureType, DepartmentRole, EventDepartment, State
from governance import pipeline
from governance.rows import rows_hold
from workflow import selectors
from workflow.grants import event_grants_give
from workflow.models import ChangeRequest, RequestKind, RequestStatus, Stage
from workflow.notifications import email_reporter, notify, sms_reporter
from workflow.sms import mobile_number
from workflow.timeline import timeline_write
from workflow.timers import timers_extend, timers_pause, timers_resume


def _report(event, actor, params, now):
    """Filing: the command center learns of the new case (the record itself is written by
    ``workflow.filing``)."""
    notify(user_ids=selectors.command_center_staff(event), event=event, kind="reported", message="reported",
           params={"code": event.code, "category": event.category.name}, url=event.get_absolute_url())
    return []


def _report_onsite(event, actor, params, now):
    """Filing as resolved on site: the grid's verifiers (never the worker who resolved it) go and check."""
    notify(user_ids=selectors.grid_verifiers(event) - {actor.pk}, event=event, kind="verify", message="verify_onsite",
           params={"code": event.code}, url=event.get_absolute_url())
    return []


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


# Written out once (composing the ORM's update cost more than running it).
_END_ASSIGNMENTS = (f"UPDATE {EventDepartment._meta.db_table} SET ended_at = %s "
                    "WHERE event_id = %s AND ended_at IS NULL")


def _end_assignments(event, now):
    pipeline.hold(connection, _END_ASSIGNMENTS, [connection.ops.adapt_datetimefield_value(now), event.pk])
    event.primary_department = None


def _dispatch(event, actor, params, now):
    primary, assisting = params["primary"], params.get("assisting") or []
    _end_assignments(event, now)
    rows_hold(
        [EventDepartment(event=event, department=primary, role=DepartmentRole.PRIMARY, assigned_at=now)]
        + [EventDepartment(event=event, department=department, role=DepartmentRole.ASSISTING, assigned_at=now)
           for department in assisting]
    )
    # The departments' groups may read the event.
    event_grants_give(event=event, group_ids=[department.group_id for department in [primary, *assisting]
                                              if department.group_id])
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
    "report": _report, "report_onsite": _report_onsite,
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


