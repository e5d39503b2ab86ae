"""Snapshots freeze a closed period: later edits of events or definitions do not
change them; the command and the beat task are safe to run twice."""

import pytest
from django.core.management import CommandError, call_command
from freezegun import freeze_time

from accounts.models import AuditEntry
from assessment.models import RatioDefinition, Snapshot
from assessment.periods import period_parse
from assessment.selectors import results_compute, results_for
from assessment.services import AssessmentError, assessment_snapshot
from assessment.tasks import assessment_snapshot_task
from tests.assessment.conftest import at
from workflow.services import event_transition

OCTOBER = period_parse("2026-10")


def street(results, tree, name="S1"):
    return next(unit for unit in results if unit.code == tree[name].code)


@pytest.mark.django_db
def test_snapshot_freezes_the_figures(october, tree, cast):
    with freeze_time(at(11, 3, 9)):
        snapshot, created = assessment_snapshot(actor=None, period=OCTOBER)
    assert created
    assert AuditEntry.objects.filter(action="assessment_snapshot", object_id=str(snapshot.pk)).exists()
    row = snapshot.rows.get(unit_kind="street", unit_id=tree["S1"].pk)
    assert row.counts["rework_rate"] == [1, 6]
    assert (row.score, row.rank) == (72.62, 1)

    # In November E8 is signed, handled and fails verification (a second rework), and
    # an administrator changes what 结案率 counts.
    for when, actor, name, params in [
        (at(11, 3, 10), cast["handler"], "sign", {}),
        (at(11, 3, 10, 30), cast["handler"], "feedback", {"result": "已清理"}),
        (at(11, 3, 11), cast["worker"], "verify_fail", {"reason": "未清理干净"}),
    ]:
        with freeze_time(when):
            event_transition(actor=actor, event_id=october["E8"].pk, name=name, **params)
    RatioDefinition.objects.filter(code="closing_rate").update(numerator={"closure_type": "special"})

    live = street(results_compute(user=None, kind="street", period=OCTOBER), tree)
    # Live: E8 joins the rework denominator and numerator (2 of 7); 结案率 now counts
    # special closures only (none of 7).
    assert live.counts["rework_rate"] == (2, 7)
    assert live.counts["closing_rate"] == (0, 7)

    frozen_units, ratios, formula, frozen = results_for(user=cast["admin"], kind="street", period=OCTOBER)
    assert frozen == snapshot
    frozen_s1 = street(frozen_units, tree)
    assert frozen_s1.counts["rework_rate"] == (1, 6)
    assert frozen_s1.counts["closing_rate"] == (5, 7)
    assert frozen_s1.score == 72.62
    # The snapshot keeps the definition it was computed with.
    closing = next(ratio for ratio in ratios if ratio.code == "closing_rate")
    assert closing.numerator["closure_type__in"] == ["normal", "overdue", "special"]
    assert formula["terms"][0] == {"ratio": "ontime_handling_rate", "weight": 54}

    # Taking it again changes nothing.
    with freeze_time(at(11, 4, 9)):
        again, created = assessment_snapshot(actor=None, period=OCTOBER)
    assert (again.pk, created) == (snapshot.pk, False)
    assert again.rows.get(unit_kind="street", unit_id=tree["S1"].pk).counts["rework_rate"] == [1, 6]


@pytest.mark.django_db
def test_an_open_period_cannot_be_frozen(reference_data):
    with freeze_time(at(10, 31, 23, 59)), pytest.raises(AssessmentError, match="has not ended"):
        assessment_snapshot(actor=None, period=OCTOBER)
    assert not Snapshot.objects.exists()


@pytest.mark.django_db
def test_assess_command(october, tree, capsys):
    with freeze_time(at(11, 2, 8)):
        call_command("assess", "--period", "2026-10")
        first = capsys.readouterr().out
        call_command("assess", "--period", "2026-10")
        second = capsys.readouterr().out
    assert "Froze 2026-10" in first
    assert "already frozen" in second
    snapshot = Snapshot.objects.get()
    assert snapshot.rows.get(unit_kind="street", unit_id=tree["S1"].pk).counts["valid_report_rate"] == [8, 11]
    # Every unit of every kind: 3 streets and 5 departments among them.
    assert snapshot.rows.filter(unit_kind="street").count() == 3
    assert snapshot.rows.filter(unit_kind="department").count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize("text, message", [
    ("2026-13", "is not a period"),
    ("october", "is not a period"),
    ("2026-10-15..2026-10-01", "ends before it starts"),
    ("2025-01-01..2026-12-31", "at most 366 days"),
])
def test_assess_command_refuses_bad_periods(reference_data, text, message):
    with pytest.raises(CommandError, match=message):
        call_command("assess", "--period", text)


@pytest.mark.django_db
def test_assess_command_refuses_an_open_period_in_chinese(reference_data):
    from django.utils import translation

    with translation.override("zh-hans"), freeze_time(at(10, 20, 9)), pytest.raises(CommandError) as refused:
        call_command("assess", "--period", "2026-10")
    assert "尚未结束" in str(refused.value)


@pytest.mark.django_db
def test_beat_task_freezes_last_month_once(october, tree):
    with freeze_time(at(11, 1, 1, 30)):
        first = assessment_snapshot_task.apply().get()
        second = assessment_snapshot_task.apply().get()
    assert first["created"] is True and second["created"] is False
    assert first["snapshot"] == second["snapshot"]
    assert Snapshot.objects.get().label == "2026-10"
    # October's points were awarded as the work was recorded: the task's sweep finds
    # nothing left, twice.
    from assessment.models import PointEntry

    assert PointEntry.objects.filter(month="2026-10-01").exists()
    assert first["points"] == 0 and second["points"] == 0


def test_beat_schedule_runs_the_snapshot_task():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["assessment-snapshot"]
    assert entry["task"] == "assessment.tasks.assessment_snapshot_task"
