from celery import shared_task

from residents.imports import resident_import_run


@shared_task
def resident_import_task(import_id: int) -> None:
    """Run a queued residents import; a second delivery finds it claimed and returns."""
    resident_import_run(import_id=import_id)
