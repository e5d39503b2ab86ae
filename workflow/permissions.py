"""Which of the machine's actors a user is, for one event. Built on the user's scope
(``accounts.scoping``); each condition on its own line."""

from accounts.models import Role
from accounts.scoping import user_scope
from events.models import VerificationBy
from workflow.machine import Actor


def is_dispatcher(user, event) -> bool:
    """A command-center dispatcher at the event's command center or above."""
    scope = user_scope(user)
    if scope.is_global:
        return True
    return scope.holds_role_over(event.command_area.path, Role.DISPATCHER)


def is_handler(user, event) -> bool:
    """A handler or admin of the event's primary department."""
    if event.primary_department_id is None:
        return False
    scope = user_scope(user)
    if scope.is_global:
        return True
    return event.primary_department_id in scope.department_ids


def is_department_admin(user, event) -> bool:
    """An admin (部门管理员) of the event's primary department."""
    if event.primary_department_id is None:
        return False
    scope = user_scope(user)
    if scope.is_global:
        return True
    return event.primary_department_id in scope.admin_department_ids


def is_leader(user, event) -> bool:
    scope = user_scope(user)
    if scope.is_global:
        return True
    return scope.holds_role_over(event.grid.path, Role.LEADER)


def is_verifier(user, event) -> bool:
    """Who verifies: for an on-site resolution the grid leader or a spot check by the
    command center, per the category; otherwise the grid's workers and leader (and the
    command center when the category is verified by spot check)."""
    scope = user_scope(user)
    if scope.is_global:
        return True
    grid_path = event.grid.path
    verification = event.category.verification_by
    if verification == VerificationBy.SPOT_CHECK and is_dispatcher(user, event):
        return True
    if event.is_onsite:
        # The worker who resolved it does not verify their own work.
        if event.handler_id == user.pk:
            return False
        if verification == VerificationBy.GRID_LEADER:
            return scope.holds_role_over(grid_path, Role.GRID_LEADER)
        return scope.holds_role_over(grid_path, Role.GRID_LEADER, Role.GRID_WORKER)
    if verification == VerificationBy.GRID_LEADER:
        return scope.holds_role_over(grid_path, Role.GRID_LEADER)
    return scope.holds_role_over(grid_path, Role.GRID_WORKER, Role.GRID_LEADER)


def is_reporter(user, event) -> bool:
    return event.reporter_id is not None and event.reporter_id == user.pk


def actors_for(user, event, *, token: str | None = None, only=None) -> set:
    """The actor kinds ``user`` (or the holder of ``token``, or the timer sweep when
    both are ``None``) counts as for ``event``; with ``only``, just which of those kinds
    (the entry point asks only about the transition's actors)."""
    if user is None:
        if token:
            return {Actor.RATER} if event.rating_token and token == event.rating_token else set()
        return {Actor.SYSTEM}
    wanted = set(Actor.values if only is None else only)
    actors = set()
    if Actor.REPORTER in wanted and is_reporter(user, event):
        actors.add(Actor.REPORTER)
    if wanted & {Actor.DISPATCHER, Actor.RATER} and is_dispatcher(user, event):
        actors |= {Actor.DISPATCHER, Actor.RATER}
    if Actor.HANDLER in wanted and is_handler(user, event):
        actors.add(Actor.HANDLER)
    if Actor.DEPT_ADMIN in wanted and is_department_admin(user, event):
        actors.add(Actor.DEPT_ADMIN)
    if Actor.LEADER in wanted and is_leader(user, event):
        actors.add(Actor.LEADER)
    if Actor.VERIFIER in wanted and is_verifier(user, event):
        actors.add(Actor.VERIFIER)
    return actors & wanted if only is not None else actors
