"""The event state machine, declared once (DESIGN §5).

Each transition names its source states, its target, who may fire it, a pure guard
that returns the reason it cannot fire (or ``None``), and the stage timers it stops and
starts. ``workflow.services.event_transition`` is the one entry point that fires them;
``docs/workflow.md`` shows the diagram generated from this table (a test keeps it in
sync).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

# The states are the case record's data (events owns them); re-exported for the machine's users.
from events.models import FINAL_STATES, IN_PROGRESS, OPEN_STATES, Rating, State  # noqa: F401
from workflow.models import RequestKind, Stage, TimeUnit


class Actor(models.TextChoices):
    """Who may fire a transition (checked against the event by ``workflow.permissions``)."""

    REPORTER = "reporter", _("the reporter")
    DISPATCHER = "dispatcher", _("the command center")
    HANDLER = "handler", _("the primary department")
    DEPT_ADMIN = "dept_admin", _("the primary department's admin")
    VERIFIER = "verifier", _("the grid's verifier")
    LEADER = "leader", _("a leader")
    RATER = "rater", _("the reporter's rating link or the command center")
    SYSTEM = "system", _("the timer sweep")


@dataclass(frozen=True)
class Context:
    """What a guard may look at: the locked event, the transition's parameters (ids
    already resolved to objects the actor may see) and the pending change requests."""

    event: object
    params: dict
    pending: frozenset = frozenset()


def _needs(name, message):
    def guard(context: Context):
        value = context.params.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return message
        return None

    return guard


def _all(*guards):
    def guard(context: Context):
        for check in guards:
            reason = check(context)
            if reason:
                return reason
        return None

    return guard


def _no_guard(context: Context):
    return None


def _merge_target(context: Context):
    event, target = context.event, context.params.get("into")
    if target is None:
        return _("Choose the open event to merge into.")
    if target.pk == event.pk:
        return _("An event cannot be merged into itself.")
    if target.state not in OPEN_STATES:
        return _("The event to merge into is no longer open.")
    if target.category_id != event.category_id:
        return _("Only events of the same small class can be merged.")
    return None


def _dispatch_departments(context: Context):
    primary = context.params.get("primary")
    if primary is None:
        return _("Choose the primary department.")
    if not primary.is_active:
        return _("The department %(name)s is not active.") % {"name": primary.name}
    assisting = context.params.get("assisting") or []
    if any(department.pk == primary.pk for department in assisting):
        return _("The primary department cannot also assist.")
    handle_by = context.params.get("handle_by")
    if handle_by is not None and handle_by <= context.params.get("now", handle_by):
        return _("The deadline for handling must lie in the future.")
    return None


def _postponement_request(context: Context):
    if RequestKind.POSTPONE in context.pending:
        return _("A postponement request is already waiting for a decision.")
    amount, unit = context.params.get("amount"), context.params.get("unit")
    if not isinstance(amount, int) or amount <= 0:
        return _("Give the extra time as a positive whole number.")
    if unit not in TimeUnit.values:
        return _("Choose the unit of the extra time.")
    return None


def _pending(kind, message):
    def guard(context: Context):
        return None if kind in context.pending else message

    return guard


def _not_suspended(context: Context):
    return _("The event is suspended; resume it first.") if context.event.is_suspended else None


def _suspension_request(context: Context):
    if context.event.is_suspended:
        return _("The event is already suspended.")
    if RequestKind.SUSPEND in context.pending:
        return _("A suspension request is already waiting for a decision.")
    return None


def _suspended(context: Context):
    return None if context.event.is_suspended else _("The event is not suspended.")


def _can_escalate(context: Context):
    if context.params.get("parent_center") is None:
        return _("There is no higher command center to escalate to.")
    return None


def _rating(context: Context):
    if context.params.get("rating") not in Rating.values:
        return _("Choose a rating: satisfied, basically satisfied or dissatisfied.")
    return None


def _rating_once(context: Context):
    if context.event.rating:
        return _("The case is already rated.")
    return _rating(context)


def _assignee(context: Context):
    if context.params.get("assignee") is None:
        return _("Choose a colleague of the department.")
    return None


def _escalate_target(event) -> str:
    return State.REPORTED if event.state == State.REPORTED else State.ACCEPTED


def _escalate_starts(event) -> tuple:
    return (Stage.ACCEPT,) if event.state == State.REPORTED else (Stage.DISPATCH,)


def _rework_target(event) -> str:
    # An on-site resolution that fails verification goes to the command center.
    return State.HANDLING if event.primary_department_id else State.ACCEPTED


def _rework_starts(event) -> tuple:
    return (Stage.HANDLE,) if event.primary_department_id else (Stage.DISPATCH,)


STAGE_TIMERS = (Stage.ACCEPT, Stage.DISPATCH, Stage.SIGN, Stage.HANDLE, Stage.VERIFY)
ALL_TIMERS = (*STAGE_TIMERS, Stage.TOTAL)


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple
    # A state, or a function of the event (before the change) giving the state.
    target: str | Callable | None
    actors: tuple
    guard: Callable = _no_guard
    stops: tuple = ()
    starts: tuple | Callable = ()
    # Shown in the diagram as a loop (the state does not change).
    keeps_state: bool = False
    required: tuple = field(default=())

    def target_for(self, event) -> str:
        if self.keeps_state:
            return event.state
        return self.target(event) if callable(self.target) else self.target

    def starts_for(self, event) -> tuple:
        return self.starts(event) if callable(self.starts) else self.starts


_reason = _needs("reason", _("Give a reason."))

TRANSITIONS = (
    # Filing (workflow.services.event_file): the only transitions without a source state, fired by the same entry point.
    Transition("report", _("Report"), (), State.REPORTED, (Actor.REPORTER,), starts=(Stage.ACCEPT, Stage.TOTAL)),
    Transition("report_onsite", _("Report as resolved on site"), (), State.HANDLED, (Actor.REPORTER,),
               starts=(Stage.VERIFY, Stage.TOTAL)),
    Transition("accept", _("Accept"), (State.REPORTED,), State.ACCEPTED, (Actor.DISPATCHER,),
               stops=(Stage.ACCEPT,), starts=(Stage.DISPATCH,)),
    Transition("reject", _("Reject"), (State.REPORTED,), State.REJECTED, (Actor.DISPATCHER,), _reason, stops=ALL_TIMERS),
    Transition("merge", _("Merge into an open event"), (State.REPORTED,), State.MERGED, (Actor.DISPATCHER,),
               _merge_target, stops=ALL_TIMERS),
    Transition("dispatch", _("Dispatch"), (State.ACCEPTED,), State.DISPATCHED, (Actor.DISPATCHER,),
               _all(_not_suspended, _dispatch_departments), stops=(Stage.DISPATCH,), starts=(Stage.SIGN,)),
    Transition("return", _("Return for re-dispatch"), (State.DISPATCHED, State.HANDLING), State.ACCEPTED, (Actor.HANDLER,),
               _reason, stops=(Stage.SIGN, Stage.HANDLE), starts=(Stage.DISPATCH,)),
    Transition("sign", _("Sign"), (State.DISPATCHED,), State.HANDLING, (Actor.HANDLER,), _not_suspended,
               stops=(Stage.SIGN,), starts=(Stage.HANDLE,)),
    Transition("feedback", _("Report the result"), (State.HANDLING,), State.HANDLED, (Actor.HANDLER,),
               _all(_not_suspended, _needs("result", _("Describe what was done."))), stops=(Stage.HANDLE,),
               starts=(Stage.VERIFY,)),
    Transition("assign", _("Assign to a colleague"), (State.DISPATCHED, State.HANDLING), None, (Actor.DEPT_ADMIN,),
               _assignee, keeps_state=True),
    Transition("request_postponement", _("Request a postponement"), (State.HANDLING,), None, (Actor.HANDLER,),
               _all(_reason, _postponement_request), keeps_state=True),
    Transition("approve_postponement", _("Approve the postponement"), (State.HANDLING,), None, (Actor.DISPATCHER,),
               _pending(RequestKind.POSTPONE, _("There is no postponement request to decide.")), keeps_state=True),
    Transition("deny_postponement", _("Deny the postponement"), (State.HANDLING,), None, (Actor.DISPATCHER,),
               _pending(RequestKind.POSTPONE, _("There is no postponement request to decide.")), keeps_state=True),
    Transition("request_suspension", _("Request a suspension"), IN_PROGRESS, None, (Actor.HANDLER, Actor.DISPATCHER),
               _all(_reason, _suspension_request), keeps_state=True),
    Transition("approve_suspension", _("Approve the suspension"), IN_PROGRESS, None, (Actor.DISPATCHER, Actor.LEADER),
               _pending(RequestKind.SUSPEND, _("There is no suspension request to decide.")), keeps_state=True),
    Transition("deny_suspension", _("Deny the suspension"), IN_PROGRESS, None, (Actor.DISPATCHER, Actor.LEADER),
               _pending(RequestKind.SUSPEND, _("There is no suspension request to decide.")), keeps_state=True),
    Transition("resume", _("Resume"), IN_PROGRESS, None, (Actor.DISPATCHER, Actor.LEADER), _suspended, keeps_state=True),
    Transition("escalate", _("Escalate to the higher command center"),
               (State.REPORTED, State.ACCEPTED, State.DISPATCHED, State.HANDLING), _escalate_target,
               (Actor.DISPATCHER, Actor.SYSTEM), _can_escalate, stops=STAGE_TIMERS, starts=_escalate_starts),
    Transition("supervise", _("Supervise"), OPEN_STATES, None, (Actor.LEADER,), _no_guard, keeps_state=True),
    Transition("verify_pass", _("Verification passed"), (State.HANDLED,), State.VERIFIED, (Actor.VERIFIER,),
               stops=(Stage.VERIFY,)),
    Transition("verify_fail", _("Verification failed (rework)"), (State.HANDLED,), _rework_target, (Actor.VERIFIER,),
               _reason, stops=(Stage.VERIFY,), starts=_rework_starts),
    # The reporter's rating when the city closes after the command center's follow-up
    # call (EVENT_CLOSURE_AFTER_RATING=callback): recorded, the case stays verified.
    Transition("rate", _("Record the reporter's rating"), (State.VERIFIED,), None, (Actor.RATER,), _rating_once,
               keeps_state=True),
    Transition("assess", _("Rate and close"), (State.VERIFIED,), State.CLOSED, (Actor.RATER,), _rating, stops=ALL_TIMERS),
    Transition("close", _("Close without a rating"), (State.VERIFIED,), State.CLOSED, (Actor.DISPATCHER,), stops=ALL_TIMERS),
    Transition("close_special", _("Special closure"),
               (State.REPORTED, State.ACCEPTED, State.DISPATCHED, State.HANDLING, State.HANDLED), State.CLOSED,
               (Actor.LEADER,), _reason, stops=ALL_TIMERS),
    Transition("archive", _("Archive"), (State.CLOSED, State.REJECTED, State.MERGED), State.ARCHIVED, (Actor.DISPATCHER,)),
)

MACHINE = {transition.name: transition for transition in TRANSITIONS}
FILING = ("report", "report_onsite")


def possible_targets(transition: Transition) -> tuple:
    """Every state the transition can lead to (for the diagram and the table test)."""
    if transition.keeps_state:
        return tuple(transition.sources)
    if callable(transition.target):
        if transition.name == "escalate":
            return (State.REPORTED, State.ACCEPTED)
        if transition.name == "verify_fail":
            return (State.HANDLING, State.ACCEPTED)
    return (transition.target,)


def mermaid_diagram() -> str:
    """The state diagram (Mermaid) generated from the table above."""
    lines = ["stateDiagram-v2"]
    for transition in TRANSITIONS:
        if transition.keeps_state:
            continue
        sources = transition.sources or ("[*]",)
        for source in sources:
            for target in possible_targets(transition):
                if callable(transition.target) and transition.name == "escalate" and source == State.REPORTED and target != State.REPORTED:
                    continue
                if callable(transition.target) and transition.name == "escalate" and source != State.REPORTED and target == State.REPORTED:
                    continue
                lines.append(f"    {source} --> {target}: {transition.name}")
    lines.append("    archived --> [*]")
    return "\n".join(lines)


def transition_table() -> str:
    """The transitions as a Markdown table (for docs/workflow.md)."""
    rows = ["| transition | from | to | who |", "|---|---|---|---|"]
    for transition in TRANSITIONS:
        if transition.keeps_state:
            target = "(unchanged)"
        else:
            target = " or ".join(str(state) for state in possible_targets(transition))
        sources = ", ".join(str(state) for state in transition.sources) or "(filing)"
        actors = ", ".join(str(actor) for actor in transition.actors)
        rows.append(f"| `{transition.name}` | {sources} | {target} | {actors} |")
    return "\n".join(rows)
