"""Rounds and valid findings earn points under the existing points rules."""

import pytest

from assessment.models import PointEntry
from assessment.periods import period_parse
from assessment.services import points_award
from events.models import Event
from patrols.services import finding_file
from tests.patrols.conftest import local
from tests.patrols.test_plans import walk as walk_a_round


@pytest.mark.django_db
def test_rounds_and_valid_findings_earn_points(cast, tree, small_checklist, walk):
    from assessment.seed import ratio_seed

    ratio_seed()  # migrations seed the rules; browser tests' flushes remove them
    worker = cast["worker"]
    monday = walk_a_round(worker, tree["G11"], "2026-03-02", [])
    walk_round = walk_a_round(worker, tree["G11"], "2026-03-03", [])
    valid, _ = finding_file(actor=worker, round_id=walk_round.pk, key="v", description="垃圾", category="0101",
                            latitude=27.705, longitude=112.005, at=local("2026-03-03", 10))
    finding_file(actor=worker, round_id=walk_round.pk, key="r", description="误报", category="0101",
                 latitude=27.705, longitude=112.005, at=local("2026-03-03", 10))
    walk(valid.event, "accepted")
    Event.objects.filter(pk=valid.event_id).update(accepted_at=local("2026-03-03", 12))

    points_award(actor=None, period=period_parse("2026-03"))
    points_award(actor=None, period=period_parse("2026-03"))  # twice: nothing more
    entries = {(rule, source): points for rule, source, points in
               PointEntry.objects.filter(user=worker).values_list("rule__code", "source_id", "points")}
    # The finding's event, accepted, is also the worker's valid report (awarded as it was
    # accepted, in the month it was filed).
    assert entries == {("patrol-round", monday.pk): 1, ("patrol-round", walk_round.pk): 1, ("patrol-finding", valid.pk): 2,
                       ("valid-report", valid.event_id): 2}
