"""One direction between the case record and the workflow (docs/architecture.md).

``events`` holds the case record; ``workflow`` (the machine, the entry point, SLA,
calendar, timers, sweep, notifications) uses it. No module of the events domain imports
``workflow`` — at module level or inside a function, directly or through another module
of the project it imports. The modules of the ``events`` package that fire transitions
or read across both (pages, API views, admin, generators, the dashboard) are the layer
above and are listed here by name: a new module of the package is domain until it is
deliberately added to that list."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The layer above both (may import events and workflow): named one by one.
UPPER = {
    "events/views",  # the pages: they fire transitions
    "events/api",  # the REST endpoints: they fire transitions
    "events/admin.py",  # the admin's event view shows the timeline (a workflow record)
    "events/urls.py",  # mounts the pages
    "events/templatetags",  # page helpers (time units of the SLA)
    "events/demo.py",  # the demo city's events, moved along by transitions
    "events/generation.py",  # generated cities: events with their timers and timelines
    "events/dashboard.py",  # the command center's figures: events and their stage timers
}
FORBIDDEN = "workflow"


def _is_upper(path: Path, root: Path = ROOT) -> bool:
    relative = path.relative_to(root).as_posix()
    return any(relative == entry or relative.startswith(entry + "/") for entry in UPPER)


def domain_modules(root: Path = ROOT) -> list[Path]:
    return sorted(path for path in (root / "events").rglob("*.py") if not _is_upper(path, root))


def imported_names(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports anywhere in its body (module level, functions,
    classes), and names given to ``importlib.import_module``/``__import__`` as literals."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(root).with_suffix("").parts[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if function in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def _file_of(module: str, root: Path) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def violations(root: Path = ROOT) -> list[str]:
    """Chains ``events module → … → workflow`` through the project's own modules."""
    found = []
    for start in domain_modules(root):
        seen = {start}
        queue = [(start, [start.relative_to(root).as_posix()])]
        while queue:
            path, chain = queue.pop()
            for name in sorted(imported_names(path, root)):
                if name == FORBIDDEN or name.startswith(FORBIDDEN + "."):
                    found.append(" → ".join([*chain, name]))
                    continue
                target = _file_of(name, root)
                if target is None or target in seen or (root / ".venv") in target.parents:
                    continue
                if target.is_relative_to(root / "events") and _is_upper(target, root):
                    found.append(" → ".join([*chain, name]) + " (the upper layer)")
                    continue
                seen.add(target)
                queue.append((target, [*chain, target.relative_to(root).as_posix()]))
    return sorted(set(found))


def test_the_upper_layer_is_named_and_the_domain_is_the_rest():
    for entry in UPPER:
        assert (ROOT / entry).exists(), entry
    domain = {path.relative_to(ROOT).as_posix() for path in domain_modules()}
    for module in ("events/models.py", "events/services.py", "events/selectors.py", "events/attachments.py",
                   "events/reporter.py", "events/catalogue.py", "events/forms.py"):
        assert module in domain


def test_no_events_domain_module_imports_workflow():
    assert violations() == []


def test_the_walker_sees_function_level_and_indirect_imports(tmp_path):
    """The check can fail: a function-level import and an import through another
    project module are both reported."""
    (tmp_path / "events").mkdir()
    (tmp_path / "helpers").mkdir()
    (tmp_path / "events" / "models.py").write_text("def label():\n    from workflow.machine import State\n    return State\n")
    (tmp_path / "events" / "selectors.py").write_text("import helpers.reads\n")
    (tmp_path / "helpers" / "reads.py").write_text("from workflow import timers\n")
    assert violations(tmp_path) == [
        "events/models.py → workflow.machine",
        "events/models.py → workflow.machine.State",
        "events/selectors.py → helpers/reads.py → workflow",
        "events/selectors.py → helpers/reads.py → workflow.timers",
    ]
