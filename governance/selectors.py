from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from governance.models import Heartbeat


@dataclass(frozen=True)
class BackgroundStatus:
    last_seen: datetime | None
    healthy: bool


def background_status() -> BackgroundStatus:
    beat = Heartbeat.objects.filter(name="worker").first()
    if beat is None:
        return BackgroundStatus(last_seen=None, healthy=False)
    age = (timezone.now() - beat.last_seen).total_seconds()
    return BackgroundStatus(last_seen=beat.last_seen, healthy=age <= settings.HEARTBEAT_STALE_SECONDS)
