from pathlib import Path

from workflow.machine import mermaid_diagram, transition_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


def test_the_documented_diagram_is_the_declared_machine():
    text = DOC.read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid_diagram()}\n```" in text
    assert transition_table() in text
