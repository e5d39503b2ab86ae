"""SMS gateways. A city plugs in its own provider by naming a class with a ``send``
method in the ``SMS_GATEWAY`` setting; the default writes the message to the log."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("governance.sms")


class SmsGateway:
    def send(self, *, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingSmsGateway(SmsGateway):
    """Writes each message to the ``governance.sms`` log instead of sending it."""

    def send(self, *, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def sms_gateway() -> SmsGateway:
    return import_string(settings.SMS_GATEWAY)()
