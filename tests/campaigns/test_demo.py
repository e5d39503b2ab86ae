"""The demo city comes with a campaign at work: published on a street, a few answers,
one problem filed as an event; loading again adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.counters import progress_drift
from campaigns.models import Answer, Campaign, Target
from campaigns.selectors import progress_rows

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_a_gas_campaign_with_answers():
    out = StringIO()
    call_command("load_demo_city", stdout=out)
    campaign = Campaign.objects.select_related("area").get(name="冬季燃气安全入户排查")
    assert campaign.state == "published" and campaign.area.code == "431302001000"
    assert "Demo campaign" in out.getvalue()
    street, _children = progress_rows(campaign, campaign.area)
    assert (street.targets, street.visited, street.not_home, street.problems, street.events) == (6, 2, 1, 1, 1)
    assert Target.objects.filter(campaign=campaign, worker__username="yuetang_worker").count() == 6
    assert progress_drift(campaign) == []
    answers = Answer.objects.filter(target__campaign=campaign).count()

    call_command("load_demo_city", stdout=StringIO())

    assert Campaign.objects.filter(name="冬季燃气安全入户排查").count() == 1
    assert Answer.objects.filter(target__campaign=campaign).count() == answers == 3
