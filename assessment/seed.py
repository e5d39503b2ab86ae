"""The seeded ratio definitions, score formula and point rules (DESIGN §7, seeds 004).

Every ratio counts the events **reported in the period** (its cohort, 立案 in the
period), as they stood at the period's end where the events keep a time for it
(``… __lt: "$end"``). Suspended events (挂起) are left out of the handling and closing
denominators, as assessment practice does. Loaded by a data migration; admins edit them
afterwards (``ratio_seed`` adds what is missing and never overwrites an edit).
"""

PERIOD = {"reported_at__gte": "$start", "reported_at__lt": "$end"}
# Accepted as a case (立案) by the period's end, or resolved on site by the grid worker.
VALID = {"any": [{"accepted_at__lt": "$end"}, {"is_onsite": True}]}
# Valid, not suspended: the cases that must be handled and closed (应处置/应结案).
DUE = {**PERIOD, **VALID, "is_suspended": False}

RATIOS = [
    {"code": "handling_rate", "name": "处置率", "name_en": "Handling rate", "order": 10,
     "description": "处置数 / 应处置数: valid cases reported in the period (not suspended) that were handled "
                    "(or closed) by the period's end.",
     "denominator": DUE,
     "numerator": {"any": [{"handled_at__lt": "$end"}, {"closed_at__lt": "$end"}]}},
    {"code": "ontime_handling_rate", "name": "按期处置率", "name_en": "On-time handling rate", "order": 20,
     "description": "按期处置数 / 应处置数: handled by the period's end with neither the sign nor the handle stage late.",
     "denominator": DUE,
     "numerator": {"handled_at__lt": "$end", "not": {"stage_late": ["sign", "handle"]}}},
    {"code": "closing_rate", "name": "结案率", "name_en": "Closing rate", "order": 30,
     "description": "结案数 / 应结案数: closed (normal, overdue or special closure) by the period's end.",
     "denominator": DUE,
     "numerator": {"closed_at__lt": "$end", "closure_type__in": ["normal", "overdue", "special"]}},
    {"code": "ontime_closing_rate", "name": "按期结案率", "name_en": "On-time closing rate", "order": 40,
     "description": "按期结案数 / 应结案数: closed normally (no stage overdue) by the period's end.",
     "denominator": DUE,
     "numerator": {"closed_at__lt": "$end", "closure_type": "normal"}},
    {"code": "rework_rate", "name": "返工率", "name_en": "Rework rate", "order": 50, "higher_is_better": False,
     "description": "返工数 / 处置数: handled cases that failed verification at least once.",
     "denominator": {**PERIOD, "any": [{"handled_at__lt": "$end"}, {"rework_count__gt": 0}]},
     "numerator": {"rework_count__gt": 0}},
    {"code": "postponement_rate", "name": "延期率", "name_en": "Postponement rate", "order": 60,
     "higher_is_better": False,
     "description": "延期数 / 派遣数: dispatched cases that were granted more time.",
     "denominator": {**PERIOD, "dispatched_at__lt": "$end"},
     "numerator": {"postpone_count__gt": 0}},
    {"code": "satisfaction_rate", "name": "满意率", "name_en": "Satisfaction rate", "order": 70,
     "description": "(满意 + 基本满意) / 评价数: of the cases rated by the period's end.",
     "denominator": {**PERIOD, "rated_at__lt": "$end", "rating__in": ["satisfied", "basically_satisfied", "dissatisfied"]},
     "numerator": {"rating__in": ["satisfied", "basically_satisfied"]}},
    {"code": "valid_report_rate", "name": "有效上报率", "name_en": "Valid report rate", "order": 80,
     "description": "有效上报数 / 上报数: reports accepted as cases (or resolved on site); rejected and merged "
                    "reports count against it.",
     "denominator": PERIOD,
     "numerator": VALID},
    {"code": "ontime_verification_rate", "name": "按期核查率", "name_en": "On-time verification rate", "order": 90,
     "description": "按期核查数 / 核查数: verified (passed, or failed into rework) with no verification late.",
     "denominator": {**PERIOD, "any": [{"verified_at__lt": "$end"}, {"rework_count__gt": 0}]},
     "numerator": {"not": {"stage_late": "verify"}}},
    {"code": "ontime_acceptance_rate", "name": "按时受理率", "name_en": "On-time acceptance rate", "order": 100,
     "description": "按时受理数 / 受理数: reports the command center accepted, rejected or merged in time.",
     "denominator": {**PERIOD, "is_onsite": False, "any": [{"accepted_at__lt": "$end"}, {"closed_at__lt": "$end"}]},
     "numerator": {"not": {"stage_late": "accept"}}},
]

# Patrol ratios (DESIGN §7b): coverage measures of ``patrols.coverage`` instead of events
# (``assessment.patrol`` computes them). Nothing due (a department; a period before the
# checklist was published): denominator 0, left out of the score.
PATROL_RATIOS = [
    {"code": "patrol_coverage_rate", "name": "巡查覆盖率", "name_en": "Patrol coverage rate", "order": 110,
     "description": "已巡查的事项对象 / 应巡查的事项对象: item × object pairs due in the period that were checked "
                    "at least once.",
     "denominator": {"patrol": "pairs_due"}, "numerator": {"patrol": "pairs_checked"}},
    {"code": "ontime_patrol_rate", "name": "按期巡查率", "name_en": "On-time patrol rate", "order": 120,
     "description": "按期巡查数 / 应巡查数: due slots (item × object × day, week, month or quarter) checked within "
                    "their period.",
     "denominator": {"patrol": "slots_due"}, "numerator": {"patrol": "slots_checked"}},
    {"code": "valid_finding_rate", "name": "有效发现率", "name_en": "Valid finding rate", "order": 130,
     "description": "有效发现数 / 发现数: findings filed from patrol rounds that were accepted as cases (or resolved "
                    "on site) by the period's end.",
     "denominator": {"patrol": "findings"}, "numerator": {"patrol": "findings_valid"}},
]
RATIOS += PATROL_RATIOS

# The first seeded formula; a formula still equal to it is given the patrol terms
# (migration assessment.0004), an edited one is left alone.
STANDARD_TERMS_V1 = [{"ratio": "ontime_handling_rate", "weight": 60}, {"ratio": "closing_rate", "weight": 30},
                     {"ratio": "rework_rate", "weight": 10, "invert": True}]
# The event terms keep their proportions (60 : 30 : 10, scaled by 0.9), so a unit with
# no patrol due scores exactly as before; patrols weigh 10 of 100.
STANDARD_TERMS = [{"ratio": "ontime_handling_rate", "weight": 54}, {"ratio": "closing_rate", "weight": 27},
                  {"ratio": "rework_rate", "weight": 9, "invert": True},
                  {"ratio": "patrol_coverage_rate", "weight": 4}, {"ratio": "ontime_patrol_rate", "weight": 3},
                  {"ratio": "valid_finding_rate", "weight": 3}]

FORMULAS = [
    {"code": "standard", "name": "综合得分", "name_en": "Composite score", "is_default": True, "terms": STANDARD_TERMS},
]

POINT_RULES = [
    {"code": "valid-report", "name": "有效上报", "name_en": "Valid report", "source": "valid_report", "points": 2},
    {"code": "verification", "name": "核查", "name_en": "Verification", "source": "verification", "points": 1},
    {"code": "care-visit", "name": "走访关爱对象", "name_en": "Care visit", "source": "care_visit", "points": 1},
    {"code": "patrol", "name": "重点场所巡查", "name_en": "Key-place patrol", "source": "patrol", "points": 1},
    {"code": "patrol-round", "name": "网格巡查", "name_en": "Patrol round", "source": "patrol_round", "points": 1},
    {"code": "patrol-finding", "name": "有效巡查发现", "name_en": "Valid patrol finding", "source": "patrol_finding",
     "points": 2},
    {"code": "rejected-report", "name": "无效上报", "name_en": "Rejected report", "source": "rejected_report", "points": -1},
    {"code": "late-verification", "name": "超时核查", "name_en": "Late verification", "source": "late_verification",
     "points": -2},
]


def ratio_seed(ratio_model=None, formula_model=None, rule_model=None) -> int:
    """Add the seeded rows that are missing (by code); returns how many were added."""
    if ratio_model is None:
        from assessment.models import PointRule, RatioDefinition, ScoreFormula

        ratio_model, formula_model, rule_model = RatioDefinition, ScoreFormula, PointRule
    added = 0
    for model, rows in ((ratio_model, RATIOS), (formula_model, FORMULAS), (rule_model, POINT_RULES)):
        for row in rows:
            values = dict(row)
            code = values.pop("code")
            _obj, created = model.objects.get_or_create(code=code, defaults=values)
            added += created
    return added


def patrol_ratio_seed(ratio_model, formula_model, patrol_ratio_model=None) -> None:
    """Migration ``assessment.0004``: the patrol ratios as assessment ratios (carrying
    over weights, names and activity edited on the old ``patrols.PatrolRatio`` rows),
    and the patrol terms in the standard formula if it is still the first seed's."""
    edited = {}
    if patrol_ratio_model is not None:
        for row in patrol_ratio_model.objects.all():
            edited[row.code] = {"name": row.name, "name_en": row.name_en, "description": row.description,
                                "is_active": row.is_active, "denominator": {"patrol": row.denominator},
                                "numerator": {"patrol": row.numerator}}
    for row in PATROL_RATIOS:
        values = dict(row)
        code = values.pop("code")
        values.update(edited.pop(code, {}))
        ratio_model.objects.get_or_create(code=code, defaults=values)
    for order, (code, values) in enumerate(edited.items(), start=140):  # ratios an admin added
        ratio_model.objects.get_or_create(code=code, defaults={**values, "order": order})
    for formula in formula_model.objects.filter(code="standard"):
        if formula.terms == STANDARD_TERMS_V1:
            formula.terms = STANDARD_TERMS
            formula.save(update_fields=["terms"])
