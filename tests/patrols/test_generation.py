"""``generate_city --patrols``: rounds with tracks and checks, made set-based on PostgreSQL."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from patrols.models import PatrolCheck, PatrolRound, PatrolSlot, TrackPoint
from patrols.selectors import coverage_for
from residents.models import Building
from tests.patrols.conftest import local


@pytest.mark.django_db
def test_generated_rounds_tracks_and_checks(cast, tree, checklist, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("generate_city --patrols needs PostgreSQL")
    Building.objects.create(grid=tree["G11"], name="1号楼")
    call_command("generate_city", "--add-patrols", "--city-code", tree["city"].code, "--patrol-days", "28",
                 "--patrol-rounds-per-week", "2", "--patrol-points", "10", "--patrol-checks", "4", "--until", "2026-03-30")
    # Grids G11 and G31 have a full-time grid worker in the test tree: 2 × 4 weeks × 2 rounds.
    assert "16 patrol rounds, 160 track points, 64 item checks" in capsys.readouterr().out
    assert set(PatrolRound.objects.values_list("grid_id", flat=True)) == {tree["G11"].pk, tree["G31"].pk}
    round = PatrolRound.objects.filter(grid=tree["G11"]).order_by("started_at").first()
    assert round.started_at >= local("2026-03-02", 0) and round.worker_id == cast["worker"].pk
    points = list(TrackPoint.objects.filter(round=round).order_by("at").values_list("at", flat=True))
    assert len(points) == 10 and (points[1] - points[0]).total_seconds() == 15
    assert PatrolCheck.objects.filter(object_kind="building").exists()
    assert 0 < PatrolSlot.objects.count() <= 64
    coverage = {u.code: u for u in coverage_for(user=cast["dispatcher"], kind="grid", first=datetime.date(2026, 3, 2),
                                                 last=datetime.date(2026, 3, 29))}
    assert coverage[tree["G11"].code].measures["rounds"] == 8
    assert coverage[tree["G11"].code].measures["slots_checked"] == PatrolSlot.objects.filter(grid=tree["G11"]).count()
