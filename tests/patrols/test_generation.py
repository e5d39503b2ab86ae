"""``generate_city --patrols``: rounds with tracks and checks, made set-based on PostgreSQL."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from patrols.models import PatrolCheck, PatrolFinding, PatrolRound, PatrolSlot, TrackPoint
from patrols.selectors import coverage_for
from residents.models import Building
from tests.patrols.conftest import local


@pytest.mark.django_db
def test_generated_rounds_tracks_and_checks(cast, tree, checklist, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("generate_city --patrols needs PostgreSQL")
    Building.objects.create(grid=tree["G11"], name="1号楼")
    call_command("generate_city", "--add-patrols", "--city-code", tree["city"].code, "--patrol-days", "28",
                 "--patrol-rounds-per-week", "2", "--patrol-points", "10", "--patrol-checks", "20", "--until", "2026-03-30")
    # Grids G11 and G31 have a full-time grid worker in the test tree: 2 × 4 weeks × 2 rounds.
    out = capsys.readouterr().out
    assert "16 patrol rounds, 160 track points, 320 item checks" in out
    assert set(PatrolRound.objects.values_list("grid_id", flat=True)) == {tree["G11"].pk, tree["G31"].pk}
    round = PatrolRound.objects.filter(grid=tree["G11"]).order_by("started_at").first()
    assert round.started_at >= local("2026-03-02", 0) and round.worker_id == cast["worker"].pk
    points = list(TrackPoint.objects.filter(round=round).order_by("at").values_list("at", flat=True))
    assert len(points) == 10 and (points[1] - points[0]).total_seconds() == 15
    assert PatrolCheck.objects.filter(object_kind="building").exists()
    assert 0 < PatrolSlot.objects.count() <= 320
    coverage = {u.code: u for u in coverage_for(user=cast["dispatcher"], kind="grid", first=datetime.date(2026, 3, 2),
                                                 last=datetime.date(2026, 3, 29))}
    assert coverage[tree["G11"].code].measures["rounds"] == 8
    assert coverage[tree["G11"].code].measures["slots_checked"] == PatrolSlot.objects.filter(grid=tree["G11"]).count()

    # About 5 % of the checks found a problem; most problems were filed as findings, whose
    # events went through the workflow: the channel patrol, the item's small class, the
    # walker as reporter, in the round's grid, reported after the check; most valid.
    findings = list(PatrolFinding.objects.select_related("event", "item_check__version", "round"))
    problems = PatrolCheck.objects.filter(result="problem").count()
    assert 0 < len(findings) <= problems and f"{len(findings)} findings filed as events" in out
    for finding in findings:
        event = finding.event
        assert event.channel == "patrol" and event.reporter_id == finding.round.worker_id == finding.worker_id
        assert event.category_id == finding.item_check.version.default_category_id and event.grid_id == finding.grid_id
        assert finding.item_check.result == "problem" and event.reported_at > finding.item_check.checked_at
    valid = [f for f in findings if f.event.accepted_at is not None or f.event.is_onsite]
    assert 0 < len(valid) <= len(findings)
    march = [u for u in coverage_for(user=cast["dispatcher"], kind="grid", first=datetime.date(2026, 2, 1),
                                     last=datetime.date(2026, 4, 30)) if u.code == tree["G11"].code][0].measures
    g11 = [f for f in findings if f.grid_id == tree["G11"].pk]
    assert (march["findings"], march["findings_valid"]) == (len(g11), len([f for f in valid if f.grid_id == tree["G11"].pk]))
