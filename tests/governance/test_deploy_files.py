"""The Dockerfile and docker-compose.yml stay true to deploy/entrypoint.sh, the script
CI's production stage runs: every container starts through it with one of its commands,
the compose file is valid against the compose specification, and every variable it sets
is documented."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = (ROOT / "deploy" / "entrypoint.sh").read_text()
COMMANDS = set(re.findall(r"^  (\w+)\)$", ENTRYPOINT, flags=re.MULTILINE))
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = {name: service for name, service in COMPOSE["services"].items() if service.get("image") == "grid-governance"}


def test_the_entrypoint_knows_the_process_commands():
    assert {"collectstatic", "migrate", "check", "web", "worker", "beat", "ready"} <= COMMANDS


def test_the_image_starts_through_the_entrypoint():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert 'ENTRYPOINT ["deploy/entrypoint.sh"]' in dockerfile
    assert "deploy/entrypoint.sh collectstatic" in dockerfile
    assert 'CMD ["web"]' in dockerfile


def test_every_app_container_runs_an_entrypoint_command():
    assert set(APP_SERVICES) == {"migrate", "web", "worker", "beat"}
    for name, service in APP_SERVICES.items():
        assert service["command"][0] in COMMANDS, name
    assert APP_SERVICES["beat"]["healthcheck"]["test"][1:3] == ["deploy/entrypoint.sh", "ready"]
    assert "/readyz" in " ".join(APP_SERVICES["web"]["healthcheck"]["test"])


def test_the_compose_file_is_valid_against_the_compose_specification():
    checker = Path(sys.executable).parent / "check-jsonschema"

    result = subprocess.run([str(checker), "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_variable_the_compose_file_sets_is_documented():
    readme = (ROOT / "README.md").read_text()
    variables = set(APP_SERVICES["web"]["environment"])

    undocumented = sorted(name for name in variables if f"`{name}`" not in readme)

    assert undocumented == []


def test_a_web_worker_sets_what_loading_made_apart_from_the_cyclic_collector():
    """governance.wsgi freezes the objects loading the platform made (gc.freeze), so the
    collector's full passes during requests walk only what requests made."""
    probe = ("import gc, os; os.environ.setdefault('DEBUG', '1'); "
             "before = gc.get_freeze_count(); import governance.wsgi; "
             "print(before, gc.get_freeze_count())")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    before, after = map(int, result.stdout.split()[-2:])
    assert before == 0 and after > 50_000
