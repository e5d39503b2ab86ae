"""A demo campaign in the demo city: 冬季燃气安全入户排查 on 乐坪街道, published by the
street's dispatcher, with a few answers by the grid worker of 月塘社区第2网格 (a visit,
a visit with a problem filed as an event, nobody home), so a new user sees campaigns
at work under ``make run``. Made through the services; loading twice adds nothing."""

import datetime

from django.utils import timezone, translation

from accounts.models import User
from campaigns.answers import target_answer, target_event_file
from campaigns.models import Campaign, Target
from campaigns.presets import presets
from campaigns.services import campaign_create, campaign_publish
from grids.models import Area

NAME = "冬季燃气安全入户排查"
STREET = "431302001000"
GRID = "43130200100102"
# What the worker found: (outcome, values); the second is a problem, filed as an event.
ANSWERS = [
    ("visited", {"has_gas": "yes", "leak": "no", "alarm": "yes", "hose_age": "2", "note": "已提醒定期检查软管"}),
    ("visited", {"has_gas": "yes", "leak": "no", "alarm": "no", "hose_age": "8", "note": "软管老化，未装报警器"}),
    ("not_home", {}),
]


def load_demo_campaigns() -> int:
    """Returns the number of targets published (0 when already there or no demo city)."""
    street = Area.objects.filter(code=STREET).first()
    dispatcher = User.objects.filter(username="leping_dispatcher").first()
    worker = User.objects.filter(username="yuetang_worker").first()
    if street is None or dispatcher is None or worker is None or Campaign.objects.filter(name=NAME, area=street).exists():
        return 0
    today = timezone.localdate()
    with translation.override("zh-hans"):
        gas = presets()["gas"]
        campaign = campaign_create(
            actor=dispatcher, area=street, name=NAME, target_kind=gas["target_kind"], form=gas["form"],
            problem_category=gas["problem_category"], starts_on=today - datetime.timedelta(days=3),
            ends_on=today + datetime.timedelta(days=11),
            description="入户检查燃气使用、泄漏、报警器与软管；发现隐患当场告知并一键上报。")
        count = campaign_publish(actor=dispatcher, campaign=campaign)
        targets = list(Target.objects.filter(campaign=campaign, grid__code=GRID, worker=worker).select_related("grid")
                       .order_by("label", "id")[:len(ANSWERS)])
        for number, (target, (outcome, values)) in enumerate(zip(targets, ANSWERS, strict=False), start=1):
            target_answer(actor=worker, target=target, outcome=outcome, values=values, idempotency_key=f"demo-gas-{number}",
                          latitude=target.grid.label_lat, longitude=target.grid.label_lon)
            if outcome == "visited" and number == 2:
                target_event_file(actor=worker, target=target, idempotency_key="demo-gas-event")
    return count
