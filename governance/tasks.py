from celery import shared_task

from governance.services import heartbeat_record


@shared_task
def heartbeat_task(name: str = "worker") -> None:
    heartbeat_record(name=name)
