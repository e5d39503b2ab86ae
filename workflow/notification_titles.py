"""What each kind of notification says, kept as translatable messages with their
parameters so a notification is shown in the reader's language, not in the language of
whoever (or whatever) caused it. The stored ``title`` is the platform-language copy used
by email and SMS and by rows written before parameters were kept."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

TITLES = {
    "reported": _("New case %(code)s: %(category)s"),
    "dispatched": _("New case %(code)s dispatched to your department"),
    "returned": _("Case %(code)s was returned: %(reason)s"),
    "assigned": _("Case %(code)s was assigned to you"),
    "verify": _("Case %(code)s is handled: please verify on site"),
    "verify_onsite": _("Case %(code)s was resolved on site: please verify"),
    "postponement_requested": _("Case %(code)s: postponement requested"),
    "suspension_requested": _("Case %(code)s: suspension requested"),
    "request_decided": _("Case %(code)s: your request was %(status)s"),
    "escalated": _("Case %(code)s was escalated to your command center"),
    "supervised": _("Case %(code)s is supervised by a leader"),
    "rate": _("Case %(code)s is resolved: please rate it"),
    "rework": _("Case %(code)s failed verification: rework needed"),
    "rated": _("Case %(code)s was rated by the reporter: close it after the follow-up call"),
    "warning": _("Case %(code)s: %(stage)s is due soon"),
    "overdue": _("Case %(code)s: %(stage)s is overdue"),
}


def _labels(params: dict) -> dict:
    """Parameters that are codes (a stage, a request status) in the active language."""
    from workflow.models import RequestStatus, Stage

    shown = dict(params)
    if shown.get("stage") in Stage.values:
        shown["stage"] = Stage(shown["stage"]).label
    if shown.get("status") in RequestStatus.values:
        shown["status"] = RequestStatus(shown["status"]).label
    return shown


def title_render(message: str, params: dict, *, language: str | None = None) -> str:
    """The notification text of ``message`` (a key of TITLES) in ``language`` (the
    active one by default)."""
    if language is not None:
        with translation.override(language):
            return title_render(message, params)
    return str(TITLES[message]) % _labels(params)


def title_stored(message: str, params: dict) -> str:
    return title_render(message, params, language=settings.LANGUAGE_CODE)[:200]
