"""The command center's combined steps, each made of the declared transitions fired
through ``event_transition``: accept and dispatch in one step (受理并派遣), and archive
a batch of closed cases (批量归档)."""

from datetime import datetime

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from workflow.machine import State, Transition
from workflow.services import TransitionRefused, event_transition

# Shown among the event's actions like a transition (it is ``accept`` then ``dispatch``).
ACCEPT_DISPATCH = Transition("accept_dispatch", _("Accept and dispatch"), (State.REPORTED,), State.DISPATCHED, ())


def event_accept_dispatch(*, actor, event_id: int, primary, assisting=(), note: str = "",
                          handle_by: datetime | None = None):
    """Accept a reported event and dispatch it at once: both transitions or neither (a
    refused dispatch leaves the event reported, so nothing is half done)."""
    with transaction.atomic():
        event_transition(actor=actor, event_id=event_id, name="accept")
        return event_transition(actor=actor, event_id=event_id, name="dispatch", primary=primary, assisting=assisting,
                                note=note, handle_by=handle_by)


def events_archive(*, actor, event_ids) -> tuple[list[int], list[tuple[int, str]]]:
    """Archive each event on its own (one that cannot be archived does not hold back the
    others); returns the archived ids and (id, reason) of the refused ones. Running it
    twice archives nothing twice: an archived event refuses the transition."""
    archived, refused = [], []
    for event_id in sorted(set(event_ids)):
        try:
            event_transition(actor=actor, event_id=event_id, name="archive")
        except TransitionRefused as refusal:
            refused.append((event_id, refusal.reason))
        except Http404:
            refused.append((event_id, ""))
        else:
            archived.append(event_id)
    return archived, refused
