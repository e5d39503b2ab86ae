"""SMS gateways. A city plugs in its own provider by naming a class with a ``send``
method in the ``SMS_GATEWAY`` setting; the default writes the message to the log."""

import logging
import re

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("governance.sms")


class SmsGateway:
    def send(self, *, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingSmsGateway(SmsGateway):
    """Writes each message to the ``governance.sms`` log instead of sending it, with the
    number masked (138****0000): logs hold no personal data (docs/deployment.md)."""

    def send(self, *, phone: str, text: str) -> None:
        masked = f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"
        logger.info("SMS to %s: %s", masked, text)


def sms_gateway() -> SmsGateway:
    return import_string(settings.SMS_GATEWAY)()


_MOBILE = re.compile(r"1[3-9]\d{9}")


def mobile_number(contact: str) -> str | None:
    """The mainland mobile number in a reporter's contact ("138 0013 8000", "+86-13800138000"),
    or ``None`` when the contact is not one (an email address, a landline)."""
    digits = re.sub(r"[\s\-()]", "", contact or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits if _MOBILE.fullmatch(digits) else None
