from celery import shared_task

from residents.imports import resident_import_run


@shared_task
def resident_import_task(import_id: int) -> None:
    """Run a queued residents import; a second delivery finds it claimed and returns."""
    resident_import_run(import_id=import_id)


@shared_task
def resident_files_purge_task() -> int:
    """Daily: delete import files and error reports past their retention."""
    from residents.services import resident_files_purge

    return resident_files_purge()
