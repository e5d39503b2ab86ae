"""A few events in the demo city, in every stage of the workflow, made through the same
services the pages use (so their timelines and timers are real). Idempotent: each
event carries an idempotency key and is walked forward only when first filed."""

from accounts.models import Department, User
from grids.models import Area
from workflow.services import event_file, event_transition

GRID = "43130200100102"  # 月塘第2网格, yuetang_worker's grid
STREET_DEPARTMENT = "431302001000-CGZD"  # 乐坪街道城管中队
# (key, category, description, walk to, urgency, on site)
DEMO_EVENTS = [
    ("demo-1", "0101", "月塘路口绿化带旁有一堆暴露垃圾，已经发臭。", "reported", "normal", False),
    ("demo-2", "0401", "菜市场北门早市占道经营，行人无法通行。", "accepted", "normal", False),
    ("demo-3", "0506", "月塘小区3栋前井盖缺失，夜间危险。", "dispatched", "urgent", False),
    ("demo-4", "0201", "单元楼道墙面贴满开锁小广告。", "handling", "normal", False),
    ("demo-5", "0404", "小区消防通道旁堆放建筑材料。", "handled", "normal", False),
    ("demo-6", "0103", "人行道上有大片油污。", "verified", "normal", False),
    ("demo-7", "0406", "公交站旁共享单车乱停放。", "closed", "normal", False),
    ("demo-8", "0110", "沿街二楼阳台外晾晒衣物滴水。", "handled", "normal", True),
]
STEPS = [
    ("accepted", "dispatcher", "accept", {}),
    ("dispatched", "dispatcher", "dispatch", {}),
    ("handling", "handler", "sign", {}),
    ("handled", "handler", "feedback", {"result": "已按结案标准处置，附处置后照片。"}),
    ("verified", "worker", "verify_pass", {"note": "现场核查已处置到位。"}),
    ("closed", None, "assess", {"rating": "satisfied", "comment": "处理及时。"}),
]


def load_demo_events() -> int:
    grid = Area.objects.filter(code=GRID).first()
    if grid is None:
        return 0
    people = {
        "worker": User.objects.get(username="yuetang_worker"),
        "dispatcher": User.objects.get(username="leping_dispatcher"),
        "handler": User.objects.get(username="leping_cgzd"),
    }
    department = Department.objects.get(code=STREET_DEPARTMENT)
    created_count = 0
    for index, (key, category, description, target, urgency, onsite) in enumerate(DEMO_EVENTS):
        event, created = event_file(
            actor=people["worker"], channel="grid_worker", category=category, description=description, grid=grid,
            latitude=grid.label_lat + 0.0004 * index if grid.label_lat else None,
            longitude=grid.label_lon - 0.0003 * index if grid.label_lon else None,
            address=f"月塘社区 {index + 1} 号附近", urgency=urgency, idempotency_key=key,
            resolved_on_site=onsite, result="已现场劝导收回。" if onsite else "",
        )
        if not created:
            continue
        created_count += 1
        for reached, who, name, params in STEPS:
            if event.state == target:
                break
            if name == "dispatch":
                params = {"primary": department.pk}
            if name == "assess":  # the worker who filed it rates through the link they received
                event = event_transition(actor=None, token=event.rating_token, event_id=event.pk, name=name, **params)
            else:
                event = event_transition(actor=people[who], event_id=event.pk, name=name, **params)
            assert event.state == reached
    return created_count
