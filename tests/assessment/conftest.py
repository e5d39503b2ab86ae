"""A small fixed data set for October 2026, built through the real services
(``event_file`` and ``event_transition``) at frozen times, for hand-computed
expectations.

Street S1 (grid G11, reported by the grid worker, primary department 乐坪街道城管中队
S1_cg), exposed garbage (0101: accept 30 min, dispatch 30 min, sign 1 working hour,
handle 4 working hours, verify 1 working hour; working hours 08:30–12:00, 14:00–17:30):

    E1  Tue 13 Oct  all stages on time, rated 满意                       → closed normal
    E2  Tue 13 Oct  handled late (due 15:30, done 16:30), rated 不满意      → closed overdue
    E3  Wed 14 Oct  verification failed once (返工), redone, rated 基本满意 → closed normal
    E4  Thu 15 Oct  postponement approved (+2 working days), closed without a rating
    E5  Thu 15 Oct  suspended (挂起) while handling, still suspended
    E6  Fri 16 Oct  rejected (无效上报)
    E8  Tue 20 Oct  accepted late (10:00, due 09:30), dispatched, not signed by the end
    E7  Tue 20 Oct  merged into E8
    E9  Wed 21 Oct  resolved on site by the worker, verified by the grid leader, rated 满意
    E10 Thu 22 Oct  verified late (11:30, due 11:00); rated only on 2 Nov
    E12 Sat 31 Oct 23:30 local (15:30 UTC): reported, inside October
    E11 Wed 30 Sep  closed normally: outside October
    E13 Sun 1 Nov 00:10 local (31 Oct 16:10 UTC): outside October

Street S2 (grid G21): E14 Tue 13 Oct, filed by a resident, accepted by the district's
dispatcher in time, nothing more.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from workflow.services import event_file, event_transition
from workflow.sweep import timers_sweep

SHANGHAI = ZoneInfo("Asia/Shanghai")
G11 = {"latitude": 27.705, "longitude": 112.005}
G21 = {"latitude": 27.705, "longitude": 112.025}


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def october(cast, departments):
    worker, dispatcher, handler = cast["worker"], cast["dispatcher"], cast["handler"]
    s1_cg = departments["S1_cg"].pk
    events = {}

    def report(name, when, actor=worker, where=G11, **extra):
        with freeze_time(when):
            values = {"channel": "grid_worker" if actor else "resident", "description": f"{name} 暴露垃圾", **where, **extra}
            events[name], _created = event_file(actor=actor, category="0101", **values)
        return events[name]

    def step(name, when, actor, transition, **params):
        with freeze_time(when):
            events[name] = event_transition(actor=actor, event_id=events[name].pk, name=transition, **params)
        return events[name]

    def to_handling(name, day, month=10):
        step(name, at(month, day, 9, 10), dispatcher, "accept")
        step(name, at(month, day, 9, 20), dispatcher, "dispatch", primary=s1_cg)
        step(name, at(month, day, 9, 30), handler, "sign")

    # E11: 30 September, closed normally (outside the period).
    report("E11", at(9, 30, 9))
    to_handling("E11", 30, month=9)
    step("E11", at(9, 30, 10, 30), handler, "feedback", result="已清理")
    step("E11", at(9, 30, 11), worker, "verify_pass")
    step("E11", at(9, 30, 11, 10), dispatcher, "assess", rating="satisfied")

    # E1: everything on time.
    report("E1", at(10, 13, 9))
    to_handling("E1", 13)
    step("E1", at(10, 13, 10, 30), handler, "feedback", result="已清理")
    step("E1", at(10, 13, 11), worker, "verify_pass")
    step("E1", at(10, 13, 11, 10), dispatcher, "assess", rating="satisfied")

    # E2: the handle stage runs late; the sweep marks it overdue at 16:00.
    report("E2", at(10, 13, 9, 1))
    to_handling("E2", 13)
    with freeze_time(at(10, 13, 16)):
        timers_sweep()
    step("E2", at(10, 13, 16, 30), handler, "feedback", result="已清理")
    step("E2", at(10, 13, 16, 40), worker, "verify_pass")
    step("E2", at(10, 13, 16, 50), dispatcher, "assess", rating="dissatisfied")

    # E3: verification fails once (rework), then passes.
    report("E3", at(10, 14, 9))
    to_handling("E3", 14)
    step("E3", at(10, 14, 10), handler, "feedback", result="已清理")
    step("E3", at(10, 14, 10, 20), worker, "verify_fail", reason="还有残留")
    step("E3", at(10, 14, 11), handler, "feedback", result="已彻底清理")
    step("E3", at(10, 14, 11, 10), worker, "verify_pass")
    step("E3", at(10, 14, 11, 20), dispatcher, "assess", rating="basically_satisfied")

    # E4: postponement approved, handled in the extended time, closed without a rating.
    report("E4", at(10, 15, 9))
    to_handling("E4", 15)
    step("E4", at(10, 15, 10), handler, "request_postponement", reason="需协调环卫车辆", amount=2, unit="work_days")
    step("E4", at(10, 15, 10, 10), dispatcher, "approve_postponement")
    step("E4", at(10, 16, 10), handler, "feedback", result="已清理")
    step("E4", at(10, 16, 10, 30), worker, "verify_pass")
    step("E4", at(10, 16, 10, 40), dispatcher, "close")

    # E5: suspended while handling.
    report("E5", at(10, 15, 9, 1))
    to_handling("E5", 15)
    step("E5", at(10, 15, 9, 40), handler, "request_suspension", reason="待产权单位确认")
    step("E5", at(10, 15, 9, 50), dispatcher, "approve_suspension")

    # E6: rejected.
    report("E6", at(10, 16, 9))
    step("E6", at(10, 16, 9, 5), dispatcher, "reject", reason="重复照片，无实际问题")

    # E8: accepted late, dispatched, never signed in October.
    report("E8", at(10, 20, 9))
    step("E8", at(10, 20, 10), dispatcher, "accept")
    step("E8", at(10, 20, 10, 10), dispatcher, "dispatch", primary=s1_cg)

    # E7: the same garbage reported again, merged into E8.
    report("E7", at(10, 20, 10, 20))
    step("E7", at(10, 20, 10, 25), dispatcher, "merge", into=events["E8"].pk)

    # E9: resolved on site by the worker, verified by the grid leader.
    report("E9", at(10, 21, 9), resolved_on_site=True, result="已当场清理")
    step("E9", at(10, 21, 9, 30), cast["grid_leader"], "verify_pass")
    step("E9", at(10, 21, 9, 40), dispatcher, "assess", rating="satisfied")

    # E10: verified late; rated only in November.
    report("E10", at(10, 22, 9))
    step("E10", at(10, 22, 9, 5), dispatcher, "accept")
    step("E10", at(10, 22, 9, 10), dispatcher, "dispatch", primary=s1_cg)
    step("E10", at(10, 22, 9, 20), handler, "sign")
    step("E10", at(10, 22, 10), handler, "feedback", result="已清理")
    step("E10", at(10, 22, 11, 30), worker, "verify_pass")
    step("E10", at(11, 2, 9), dispatcher, "assess", rating="satisfied")

    # E12 / E13: the period's last local minutes and the next month's first.
    report("E12", at(10, 31, 23, 30))
    report("E13", at(11, 1, 0, 10))

    # E14: street S2, filed by a resident, accepted in time by the district.
    report("E14", at(10, 13, 9), actor=None, where=G21, reporter_name="王先生")
    step("E14", at(10, 13, 9, 10), cast["district_dispatcher"], "accept")
    return events
