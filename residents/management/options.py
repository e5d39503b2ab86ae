"""What the import commands share: the file and the user they import as."""

from pathlib import Path

from django.core.management.base import CommandError

from accounts.models import User


def file_and_actor(file: str, username: str | None) -> tuple[Path, User | None]:
    """The file to import (it must exist) and the active user to import as (``None``:
    the system, whole tree)."""
    path = Path(file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    if not username:
        return path, None
    actor = User.objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise CommandError(f"no active user {username}")
    return path, actor
