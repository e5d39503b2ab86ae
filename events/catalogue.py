"""The seeded catalogue of event categories (大类/小类) with their SLA policies.

Time limits follow common practice of Chinese 数字城管 / 网格化 systems (DESIGN §6):
urgent accept+dispatch 10 minutes, normal 30 minutes; exposed garbage 4 working hours;
illegal construction stopped within 4 working hours, demolished within 20 working days;
verification 1 working hour. Admins edit all of it afterwards; loading again adds
missing categories and never overwrites edits.
"""

M, WH, WD, D = "minutes", "work_hours", "work_days", "days"

# SLA profiles for normal urgency: stage → (amount, unit).
PROFILES = {
    "clean_4h": {"accept": (30, M), "dispatch": (30, M), "sign": (1, WH), "handle": (4, WH), "verify": (1, WH), "total": (2, WD)},
    "street_1d": {"accept": (30, M), "dispatch": (30, M), "sign": (1, WH), "handle": (1, WD), "verify": (1, WH), "total": (3, WD)},
    "fix_3d": {"accept": (30, M), "dispatch": (30, M), "sign": (2, WH), "handle": (3, WD), "verify": (2, WH), "total": (5, WD)},
    "stop_4h": {"accept": (30, M), "dispatch": (30, M), "sign": (1, WH), "handle": (4, WH), "verify": (1, WH), "total": (2, WD)},
    "demolish_20d": {"accept": (30, M), "dispatch": (60, M), "sign": (1, WD), "handle": (20, WD), "verify": (1, WD), "total": (25, WD)},
    "emergency": {"accept": (10, M), "dispatch": (10, M), "sign": (30, M), "handle": (240, M), "verify": (60, M), "total": (1, D)},
    "dispute_5d": {"accept": (1, WH), "dispatch": (2, WH), "sign": (1, WD), "handle": (5, WD), "verify": (1, WD), "total": (10, WD)},
    "safety_1d": {"accept": (30, M), "dispatch": (30, M), "sign": (1, WH), "handle": (1, WD), "verify": (2, WH), "total": (3, WD)},
    "service_5d": {"accept": (1, WH), "dispatch": (2, WH), "sign": (1, WD), "handle": (5, WD), "verify": (1, WD), "total": (10, WD)},
    "police_2h": {"accept": (10, M), "dispatch": (10, M), "sign": (30, M), "handle": (4, WH), "verify": (2, WH), "total": (2, WD)},
}


def urgent(profile: dict, level: str) -> dict:
    """The limits for urgent (紧急) and critical (特急) cases of a profile."""
    limits = dict(profile)
    if level == "urgent":
        limits.update(accept=(10, M), dispatch=(10, M), sign=(30, M))
        amount, unit = profile["handle"]
        limits["handle"] = (max(amount // 2, 1), unit) if unit != D else (amount * 12, "work_hours")
        amount, unit = profile["total"]
        limits["total"] = (max(amount // 2, 1), unit)
    else:
        limits.update(accept=(5, M), dispatch=(5, M), sign=(15, M), handle=(120, M), verify=(30, M), total=(1, D))
    return limits


UM, LE, MR, EM, PS = "urban_management", "law_enforcement", "market_regulation", "emergency", "public_security"
CA, HO, EN, TR, WA = "civil_affairs", "housing", "environment", "transport", "water"
HE, JU, HR, FI, UT = "health", "justice", "human_resources", "fire", "utilities"
ST, DI = "street", "district"
PLATE = [{"code": "plate", "description": "车牌号", "datatype": "string", "required": False, "order": 1}]
STALL = [{"code": "stall", "description": "摊点类型", "datatype": "singlevaluelist", "required": False, "order": 1,
          "values": [{"key": "fixed", "name": "固定摊点"}, {"key": "mobile", "name": "流动摊贩"}, {"key": "night", "name": "夜市摊点"}]}]
PEOPLE = [{"code": "people", "description": "涉及人数", "datatype": "number", "required": False, "order": 1}]
WATER = [{"code": "depth", "description": "积水深度", "datatype": "singlevaluelist", "required": True, "order": 1,
          "values": [{"key": "ankle", "name": "没过脚踝"}, {"key": "knee", "name": "没过膝盖"}, {"key": "deep", "name": "更深"}]}]

# (code, name, English name, [small classes]); a small class is
# (code, name, English name, department kind, level, SLA profile, on-site allowed, verification, closing standard, extra fields)
CATALOGUE = [
    ("01", "市容环境", "City appearance", [
        ("0101", "暴露垃圾", "Exposed garbage", UM, ST, "clean_4h", True, "grid_worker", "垃圾清理干净，无残留", []),
        ("0102", "积存垃圾渣土", "Accumulated waste and muck", UM, ST, "street_1d", False, "grid_worker", "渣土清运完毕，地面干净", []),
        ("0103", "道路不洁", "Dirty road", UM, ST, "clean_4h", True, "grid_worker", "路面清扫干净", []),
        ("0104", "水域不洁", "Dirty water surface", WA, DI, "street_1d", False, "grid_worker", "水面漂浮物打捞干净", []),
        ("0105", "绿地脏乱", "Untidy green space", UM, ST, "street_1d", True, "grid_worker", "绿地内无垃圾杂物", []),
        ("0106", "焚烧垃圾树叶", "Burning garbage or leaves", EN, DI, "clean_4h", True, "grid_worker", "明火熄灭，现场清理", []),
        ("0107", "动物尸体", "Animal carcass", UM, ST, "clean_4h", True, "grid_worker", "尸体无害化处理，现场消杀", []),
        ("0108", "公厕不洁", "Dirty public toilet", UM, ST, "clean_4h", False, "grid_worker", "公厕保洁达标", []),
        ("0109", "垃圾桶满溢破损", "Overflowing or broken bin", UM, ST, "clean_4h", True, "grid_worker", "清运或更换完毕", []),
        ("0110", "沿街晾挂", "Laundry hung along the street", UM, ST, "street_1d", True, "grid_worker", "晾挂物已收回", []),
    ]),
    ("02", "宣传广告", "Advertising", [
        ("0201", "非法小广告", "Illegal flyers", UM, ST, "street_1d", True, "grid_worker", "小广告清除干净，无残痕", []),
        ("0202", "违规张贴横幅标语", "Unauthorised banners", UM, ST, "street_1d", True, "grid_worker", "横幅标语拆除", []),
        ("0203", "违规户外广告", "Unauthorised outdoor advertising", LE, DI, "fix_3d", False, "grid_worker", "广告设施拆除或补办手续", []),
        ("0204", "广告设施破损", "Damaged advertising structure", UM, ST, "fix_3d", False, "grid_worker", "修复或拆除", []),
        ("0205", "店招店牌破损", "Damaged shop sign", UM, ST, "fix_3d", False, "grid_worker", "修复或拆除", []),
        ("0206", "占道广告牌", "Sandwich board on the pavement", UM, ST, "clean_4h", True, "grid_worker", "广告牌撤离", []),
        ("0207", "涂写刻画", "Graffiti", UM, ST, "fix_3d", False, "grid_worker", "涂写清除，墙面恢复", []),
    ]),
    ("03", "施工管理", "Construction", [
        ("0301", "违法建设（制止）", "Illegal construction (stop)", LE, ST, "stop_4h", False, "grid_leader", "施工停止，现场无新增", []),
        ("0302", "违法建设（拆除）", "Illegal construction (demolish)", LE, DI, "demolish_20d", False, "grid_leader", "违建拆除，现场恢复", []),
        ("0303", "施工扰民", "Construction noise", EN, DI, "street_1d", False, "grid_worker", "夜间停工或办理许可", []),
        ("0304", "施工废弃料", "Construction waste", UM, ST, "street_1d", False, "grid_worker", "废弃料清运", []),
        ("0305", "工地扬尘", "Construction dust", HO, DI, "street_1d", False, "grid_worker", "覆盖、洒水等降尘措施到位", []),
        ("0306", "道路开挖未恢复", "Road dug up and not restored", TR, DI, "fix_3d", False, "grid_worker", "路面恢复", []),
        ("0307", "施工占道", "Construction occupying the road", UM, ST, "street_1d", False, "grid_worker", "围挡退回许可范围", []),
    ]),
    ("04", "街面秩序", "Street order", [
        ("0401", "占道经营", "Street vending on the road", UM, ST, "clean_4h", True, "grid_worker", "摊点撤离，现场整洁", STALL),
        ("0402", "店外经营", "Trading outside the shop", UM, ST, "clean_4h", True, "grid_worker", "物品收回店内", []),
        ("0403", "流动摊贩", "Mobile hawkers", UM, ST, "clean_4h", True, "grid_worker", "摊贩劝离", STALL),
        ("0404", "乱堆物堆料", "Goods piled in public space", UM, ST, "street_1d", True, "grid_worker", "堆放物清理", []),
        ("0405", "机动车乱停放", "Illegally parked car", PS, ST, "clean_4h", False, "grid_worker", "车辆驶离或处罚", PLATE),
        ("0406", "非机动车乱停放", "Badly parked bicycles", UM, ST, "clean_4h", True, "grid_worker", "车辆摆放整齐", []),
        ("0407", "露天烧烤", "Open-air barbecue", UM, ST, "clean_4h", True, "grid_worker", "烧烤停止，现场清理", []),
        ("0408", "违规洗车", "Car washing on the street", UM, ST, "street_1d", False, "grid_worker", "停止占道洗车", []),
        ("0409", "噪声扰民（商业）", "Commercial noise", EN, DI, "street_1d", False, "grid_worker", "噪声源关停或整改", []),
    ]),
    ("05", "突发事件", "Emergencies", [
        ("0501", "路面塌陷", "Road collapse", TR, DI, "emergency", False, "spot_check", "现场围挡，险情排除", []),
        ("0502", "供水管道破裂", "Burst water main", UT, DI, "emergency", False, "spot_check", "管道修复，恢复供水", []),
        ("0503", "燃气泄漏", "Gas leak", UT, DI, "emergency", False, "spot_check", "泄漏点处置，险情排除", []),
        ("0504", "道路积水", "Flooded road", WA, DI, "emergency", False, "grid_worker", "积水排除", WATER),
        ("0505", "火情", "Fire", FI, DI, "emergency", False, "spot_check", "明火扑灭，现场安全", []),
        ("0506", "井盖缺失破损", "Missing or broken manhole cover", UM, ST, "emergency", True, "grid_worker", "井盖补齐或设置警示", []),
        ("0507", "树木倒伏", "Fallen tree", UM, ST, "emergency", False, "grid_worker", "树木清理，道路通行", []),
        ("0508", "电线断落", "Fallen power line", UT, DI, "emergency", False, "spot_check", "断电抢修，险情排除", []),
    ]),
    ("06", "矛盾纠纷", "Disputes", [
        ("0601", "邻里纠纷", "Neighbour dispute", JU, ST, "dispute_5d", True, "grid_leader", "双方达成调解协议", PEOPLE),
        ("0602", "家庭婚姻纠纷", "Family or marriage dispute", JU, ST, "dispute_5d", True, "grid_leader", "调解成功或依法引导", PEOPLE),
        ("0603", "物业纠纷", "Property management dispute", HO, ST, "dispute_5d", False, "grid_leader", "调解完成", PEOPLE),
        ("0604", "劳资纠纷", "Wage dispute", HR, DI, "dispute_5d", False, "grid_leader", "工资支付或进入仲裁", PEOPLE),
        ("0605", "土地山林纠纷", "Land or forest dispute", HO, ST, "dispute_5d", False, "grid_leader", "调解或确权完成", PEOPLE),
        ("0606", "消费纠纷", "Consumer dispute", MR, ST, "dispute_5d", False, "grid_leader", "调解完成", []),
        ("0607", "征地拆迁纠纷", "Land requisition dispute", HO, DI, "dispute_5d", False, "grid_leader", "调解完成或依法处理", PEOPLE),
    ]),
    ("07", "治安隐患", "Public security risks", [
        ("0701", "可疑人员物品", "Suspicious person or object", PS, ST, "police_2h", False, "spot_check", "核查清楚并处置", []),
        ("0702", "黄赌毒线索", "Vice, gambling or drugs lead", PS, ST, "police_2h", False, "spot_check", "线索移交并查处", []),
        ("0703", "治安混乱场所", "Disorderly venue", PS, ST, "police_2h", False, "spot_check", "场所整改", []),
        ("0704", "出租房屋治安隐患", "Rental housing security risk", PS, ST, "street_1d", False, "grid_worker", "登记备案，隐患整改", []),
        ("0705", "群体性事件苗头", "Signs of a mass incident", PS, ST, "police_2h", False, "spot_check", "稳控化解", PEOPLE),
    ]),
    ("08", "安全生产", "Work safety", [
        ("0801", "消防通道堵塞", "Blocked fire lane", FI, ST, "clean_4h", True, "grid_worker", "通道畅通", []),
        ("0802", "电动车楼道充电", "E-bike charging in the stairwell", FI, ST, "clean_4h", True, "grid_worker", "车辆移出，停止飞线充电", []),
        ("0803", "危化品违规存放", "Hazardous chemicals stored illegally", EM, DI, "safety_1d", False, "spot_check", "危化品转移，隐患消除", []),
        ("0804", "燃气使用隐患", "Unsafe gas use", UT, DI, "safety_1d", False, "grid_worker", "隐患整改", []),
        ("0805", "房屋安全隐患", "Unsafe building", HO, DI, "safety_1d", False, "grid_leader", "鉴定并采取措施", []),
        ("0806", "特种设备隐患", "Unsafe lift or boiler", MR, DI, "safety_1d", False, "spot_check", "设备停用检修", []),
        ("0807", "校园周边安全隐患", "Risk around a school", PS, ST, "safety_1d", False, "grid_worker", "隐患消除", []),
        ("0808", "食品安全隐患", "Food safety risk", MR, ST, "safety_1d", False, "grid_worker", "查处整改", []),
    ]),
    ("09", "民生服务", "Public services", [
        ("0901", "路灯不亮", "Street light out", UT, DI, "fix_3d", False, "grid_worker", "路灯恢复照明", []),
        ("0902", "供水异常", "Water supply problem", UT, DI, "street_1d", False, "grid_worker", "恢复正常供水", []),
        ("0903", "供电异常", "Power supply problem", UT, DI, "street_1d", False, "grid_worker", "恢复正常供电", []),
        ("0904", "公共设施损坏", "Damaged public facility", UM, ST, "fix_3d", False, "grid_worker", "设施修复", []),
        ("0905", "社会救助需求", "Need for social assistance", CA, ST, "service_5d", False, "grid_leader", "救助落实", []),
        ("0906", "养老服务需求", "Need for elderly care", CA, ST, "service_5d", False, "grid_worker", "服务对接完成", []),
        ("0907", "残疾人帮扶", "Support for a disabled person", CA, ST, "service_5d", False, "grid_worker", "帮扶落实", []),
        ("0908", "就业服务需求", "Need for job services", HR, ST, "service_5d", False, "grid_worker", "就业服务对接", []),
        ("0909", "困难群众帮扶", "Support for a family in need", CA, ST, "service_5d", False, "grid_leader", "帮扶措施落实", []),
        ("0910", "医疗卫生服务需求", "Need for health services", HE, ST, "service_5d", False, "grid_worker", "服务对接完成", []),
    ]),
]


# Small classes offered to residents on the public report page: what a resident sees in
# the street, in plain words. Admins change it per class ("offered to the public").
PUBLIC = {
    "0101", "0103", "0108", "0109", "0201", "0207", "0303", "0304", "0306", "0401", "0404", "0405", "0407", "0409",
    "0502", "0504", "0506", "0507", "0801", "0802", "0901", "0902", "0904",
}


def catalogue_load(apps=None) -> int:
    """Add the categories and policies that are missing. Returns how many small classes
    were added. ``apps`` is a migration's app registry (or Django's)."""
    if apps is None:
        from django.apps import apps
    Category = apps.get_model("events", "Category")
    SLAPolicy = apps.get_model("workflow", "SLAPolicy")
    SLALimit = apps.get_model("workflow", "SLALimit")
    existing = set(Category.objects.values_list("code", flat=True))
    # An early migration's model has no is_public yet (events 0005 sets it for those rows).
    has_public = any(field.name == "is_public" for field in Category._meta.get_fields())
    added = 0
    for order, (code, name, name_en, smalls) in enumerate(CATALOGUE, start=1):
        big = Category.objects.filter(code=code).first()
        if big is None:
            big = Category.objects.create(code=code, name=name, name_en=name_en, order=order * 100)
        for index, (s_code, s_name, s_en, kind, level, profile, onsite, verification, standard, extra) in enumerate(smalls, 1):
            if s_code in existing:
                continue
            small = Category.objects.create(
                parent=big, code=s_code, name=s_name, name_en=s_en, default_department_kind=kind,
                default_department_level=level, onsite_allowed=onsite, verification_by=verification,
                closing_standard=standard, extra_fields=extra, order=order * 100 + index,
                **({"is_public": s_code in PUBLIC} if has_public else {}),
            )
            for urgency in ("normal", "urgent", "critical"):
                limits = PROFILES[profile] if urgency == "normal" else urgent(PROFILES[profile], urgency)
                policy = SLAPolicy.objects.create(category=small, urgency=urgency)
                SLALimit.objects.bulk_create(
                    SLALimit(policy=policy, stage=stage, amount=amount, unit=unit) for stage, (amount, unit) in limits.items()
                )
            added += 1
    return added
