"""An SMS gateway for tests: a real implementation of ``workflow.sms.SmsGateway`` that
keeps what it would have sent (the platform has no provider to reach from a test)."""

from workflow.sms import SmsGateway


class RecordingSmsGateway(SmsGateway):
    sent: list[dict] = []

    def send(self, *, phone: str, text: str) -> None:
        RecordingSmsGateway.sent.append({"phone": phone, "text": text})
