"""The results ledger (排查台账) as .xlsx, in the layout a street office reports upward:
a summary sheet (one row per unit under the chosen node, then the total) and the ledger
(one row per target, its result and every form answer). Residents' ID and phone numbers
go out masked (the masks ``residents`` keeps), cells are safe in a spreadsheet
(``residents.exports.safe_cell``), and every export is written to the personal-data
access log before the file is made."""

import tempfile

from django.utils import timezone
from openpyxl import Workbook

from campaigns.formspec import display_value
from campaigns.models import Campaign, Outcome, Progress, Target, TargetKind, TargetStatus
from campaigns.selectors import progress_rows, targets_visible_to
from grids.models import Area
from residents import privacy
from residents.exports import safe_cell
from residents.models import AccessAction, Resident
from residents.services import access_log_record

SUMMARY_HEADERS = ["单位", "编码", "应排查", "已排查", "无人在家", "已迁出", "发现问题", "上报事件", "完成率"]
LEDGER_HEADERS = ["序号", "街道", "社区", "网格", "网格员", "排查对象", "联系人", "公民身份号码", "联系电话", "状态",
                  "走访次数", "是否发现问题", "问题", "事件编号", "走访人", "走访时间", "记录时间", "纬度", "经度",
                  "表单版本", "是否逾期"]
STATUS_TEXT = {TargetStatus.PENDING: "未走访", TargetStatus.NOT_HOME: "无人在家", TargetStatus.DONE: "已走访",
               TargetStatus.MOVED_OUT: "已迁出"}
BATCH = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _summary_row(row: Progress | None, name: str, code: str) -> list:
    if row is None:
        return [name, code, 0, 0, 0, 0, 0, 0, ""]
    return [name, code, row.due, row.visited, row.not_home, row.moved_out, row.problems, row.events,
            f"{row.share_done:.1%}"]


def _contacts(campaign: Campaign, targets: list[Target]) -> dict[int, Resident]:
    """object id → the resident to show (the member for special groups, the head or first
    member for households)."""
    ids = [target.object_id for target in targets]
    fields = ("pk", "name", "id_mask", "phone_mask", "household_id", "relation_to_head", "grid__path")
    if campaign.target_kind == TargetKind.SPECIAL_GROUP:
        return {r.pk: r for r in Resident.objects.filter(pk__in=ids).select_related("grid").only(*fields)}
    if campaign.target_kind == TargetKind.HOUSEHOLD:
        found = {}
        members = Resident.objects.filter(household_id__in=ids, moved_out_on__isnull=True).select_related("grid").only(*fields).order_by("id")
        for member in members:
            if member.household_id not in found or member.relation_to_head == "户主":
                found[member.household_id] = member
        return found
    return {}


def _ancestors(paths) -> dict[str, Area]:
    step = Area.steplen
    wanted = {path[:end] for path in paths for end in range(step, len(path) + 1, step)}
    return {area.path: area for area in Area.objects.filter(path__in=wanted).only("path", "name", "level", "code")}


def _ledger_rows(actor, campaign: Campaign, targets):
    specs = ledger_fields(campaign)
    number = 0
    batch = []
    for target in targets.iterator(chunk_size=BATCH):
        batch.append(target)
        if len(batch) == BATCH:
            yield from _batch_rows(actor, campaign, specs, batch, number)
            number += len(batch)
            batch = []
    if batch:
        yield from _batch_rows(actor, campaign, specs, batch, number)


def ledger_fields(campaign: Campaign) -> list[dict]:
    """The current form's fields, then those only earlier versions asked (as they last
    were), so answers given against an earlier version keep their columns."""
    fields = {spec["code"]: spec for spec in campaign.form}
    dropped = {}
    for version in campaign.form_versions.order_by("version"):
        for spec in version.form:
            if spec["code"] not in fields:
                dropped[spec["code"]] = spec
    return list(fields.values()) + list(dropped.values())


def _batch_rows(actor, campaign, specs, batch, number):
    contacts = _contacts(campaign, batch)
    areas = _ancestors({target.grid.path for target in batch})
    for offset, target in enumerate(batch, start=1):
        names = {area.level: area.name for path, area in areas.items() if target.grid.path.startswith(path)}
        answer = target.last_answer
        visit = answer if answer is not None and answer.outcome == Outcome.VISITED else None
        person = contacts.get(target.object_id)
        shown = privacy.shown_values(actor, grid_path=person.grid.path, id_mask=person.id_mask, phone_mask=person.phone_mask,
                                     birth_date=None) if person else {}
        row = [
            number + offset, names.get("street", ""), names.get("community", ""), target.grid.name,
            target.worker.display_name if target.worker else "", target.label,
            person.name if person else "", shown.get("id_number", ""), shown.get("phone", ""),
            STATUS_TEXT.get(target.status, target.status), target.attempts, "是" if target.problem else "否",
            "；".join(spec["label"] for spec in specs if visit and spec["code"] in visit.problems),
            target.event.code if target.event else "",
            answer.by.display_name if answer else "",
            timezone.localtime(answer.at).strftime("%Y-%m-%d %H:%M") if answer else "",
            timezone.localtime(answer.recorded_at).strftime("%Y-%m-%d %H:%M") if answer and answer.recorded_at else "",
            answer.latitude if answer and answer.latitude is not None else "",
            answer.longitude if answer and answer.longitude is not None else "",
            answer.form_version if answer else "", "是" if target.late else "否",
        ]
        row += [display_value(spec, visit.values.get(spec["code"])) if visit else "" for spec in specs]
        yield [safe_cell(value) for value in row]


def ledger_export(*, actor, campaign: Campaign, area: Area):
    """Log the export, then return (temporary file, file name)."""
    targets = (targets_visible_to(actor, campaign).filter(grid__path__startswith=area.path)
               .select_related("grid", "worker", "event", "last_answer", "last_answer__by").order_by("grid__path", "label", "id"))
    count = targets.count()
    access_log_record(actor=actor, action=AccessAction.EXPORT, field="masked", reason="campaign ledger",
                      filters={"campaign": campaign.pk, "area": area.code}, row_count=count)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("汇总")
    summary.append([safe_cell(f"{campaign.name}（{campaign.starts_on:%Y-%m-%d} 至 {campaign.ends_on:%Y-%m-%d}）")])
    summary.append(SUMMARY_HEADERS)
    own, children = progress_rows(campaign, area)
    for row in children:
        if row.worker_id is None:
            summary.append([safe_cell(value) for value in _summary_row(row, row.area.name, row.area.code)])
        else:
            summary.append([safe_cell(value) for value in _summary_row(row, row.worker.display_name, row.area.code)])
    summary.append(_summary_row(own, f"合计：{area.name}", area.code))
    ledger = workbook.create_sheet("排查台账")
    ledger.append(LEDGER_HEADERS + [safe_cell(spec["label"]) for spec in ledger_fields(campaign)])
    for row in _ledger_rows(actor, campaign, targets):
        ledger.append(row)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return handle, f"campaign-{campaign.pk}-{area.code}-{timezone.localdate():%Y%m%d}.xlsx"
