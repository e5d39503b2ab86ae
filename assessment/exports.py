"""The monthly assessment meeting's table as an .xlsx workbook (openpyxl): a title row,
a subtitle with the period and the formula, a two-row merged header (each ratio over
its numerator, denominator and rate), the units ranked, and a note on the source."""

import io
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from assessment.models import UnitKind

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def formula_text(formula: dict, ratios) -> str:
    names = {ratio.code: ratio.label for ratio in ratios}
    parts = []
    for term in formula.get("terms") or []:
        name = names.get(term["ratio"], term["ratio"])
        parts.append(f"(1−{name})×{term.get('weight', 1):g}" if term.get("invert") else f"{name}×{term.get('weight', 1):g}")
    return " + ".join(parts)


def results_workbook(*, units, ratios, formula, period, kind: str, frozen: bool) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    # Sheet names may not hold / \\ ? * [ ] : ("街道/乡镇").
    sheet.title = re.sub(r"[\\/?*\[\]:]", "、", str(UnitKind(kind).label))[:31]
    columns = 3 + 3 * len(ratios) + 1
    kind_label = UnitKind(kind).label

    sheet.cell(row=1, column=1, value=_("%(period)s grid governance assessment: %(kind)s ranking")
               % {"period": period.label, "kind": kind_label}).font = Font(size=16, bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    sheet.cell(row=1, column=1).alignment = CENTRE
    sheet.row_dimensions[1].height = 30
    subtitle = _("Period: %(start)s to %(end)s · Score = %(formula)s") % {
        "start": period.start.isoformat(), "end": period.end.isoformat(), "formula": formula_text(formula, ratios)}
    sheet.cell(row=2, column=1, value=subtitle).alignment = CENTRE
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=columns)

    for column, title in ((1, _("Rank")), (2, _("Unit")), (3, _("Code"))):
        sheet.cell(row=3, column=column, value=title)
        sheet.merge_cells(start_row=3, start_column=column, end_row=4, end_column=column)
    for index, ratio in enumerate(ratios):
        first = 4 + 3 * index
        sheet.cell(row=3, column=first, value=ratio.label)
        sheet.merge_cells(start_row=3, start_column=first, end_row=3, end_column=first + 2)
        for offset, title in enumerate((_("Numerator"), _("Denominator"), _("Rate"))):
            sheet.cell(row=4, column=first + offset, value=title)
    sheet.cell(row=3, column=columns, value=_("Score"))
    sheet.merge_cells(start_row=3, start_column=columns, end_row=4, end_column=columns)
    for row in (3, 4):
        for column in range(1, columns + 1):
            cell = sheet.cell(row=row, column=column)
            cell.font, cell.alignment, cell.fill, cell.border = Font(bold=True), CENTRE, HEADER_FILL, BOX

    row = 5
    for unit in units:
        values = [unit.rank, unit.name, unit.code]
        for ratio in ratios:
            numerator, denominator = unit.counts.get(ratio.code, (0, 0))
            values += [numerator, denominator, numerator / denominator if denominator else None]
        values.append(unit.score)
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.border = BOX
            if column > 3 and (column - 4) % 3 == 2 and column < columns:
                cell.number_format = "0.00%"
            elif column == columns:
                cell.number_format = "0.00"
        row += 1

    source = _("Frozen snapshot") if frozen else _("Computed now (the period is not frozen yet)")
    sheet.cell(row=row + 1, column=1, value=_("Source: %(source)s. Exported %(at)s.") % {
        "source": source, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")})
    sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=columns)
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 16
    for column in range(4, columns + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 10
    sheet.freeze_panes = "D5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
