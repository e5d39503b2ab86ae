"""A real Celery worker, started as its own process against the configured broker
(Redis in CI, the embedded filesystem broker otherwise), runs a queued task that writes
to the test database."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from governance.models import Heartbeat
from governance.tasks import heartbeat_task

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


@contextlib.contextmanager
def celery_worker(hostname: str, *args: str, env=None, stdout=None):
    """A real Celery worker process against the test database; stopped on exit.

    It starts on an empty queue: what earlier tests handed off and no worker took (their
    rows are long gone) is purged first, so the worker does not spend the test working
    through the suite's backlog. Its output goes to ``stdout`` (a file), by default to a
    temporary file that ``worker_output`` reads — never to a pipe nobody reads while the
    worker runs, which fills up and stops the worker at its next log line."""
    from governance.celery import app

    app.control.purge()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "governance.settings_test", "DATABASE_URL": database_url(), **(env or {})}
    with contextlib.ExitStack() as stack:
        if stdout is None:
            stdout = stack.enter_context(tempfile.NamedTemporaryFile("w+", encoding="utf-8", suffix=".log"))
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "governance", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--hostname", f"{hostname}-{os.getpid()}@%h", *args],
            cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.STDOUT, text=True,
        )
        process.output = stdout
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def worker_output(process, last: int = 4000) -> str:
    """The end of what the worker has written so far."""
    return Path(process.output.name).read_text(encoding="utf-8", errors="replace")[-last:]


@pytest.fixture
def worker(transactional_db):
    with celery_worker("test") as process:
        yield process


def test_a_real_worker_runs_a_queued_task(worker):
    name = f"test-{time.time_ns()}"

    heartbeat_task.delay(name)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Heartbeat.objects.filter(name=name).exists():
        assert worker.poll() is None, worker_output(worker)
        time.sleep(0.3)
    assert Heartbeat.objects.filter(name=name).exists(), "the worker did not run the task within 60 s"
