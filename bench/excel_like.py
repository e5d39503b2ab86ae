"""An .xlsx written as Excel writes it, for the benchmarks: text in shared strings (one
copy of each distinct text, cells holding its index), the sheet's dimension recorded.
openpyxl writes every text inline instead, which hides what a reader pays for the shared
strings of a big sheet (openpyxl's read-only mode keeps them all as Python objects)."""

import csv
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_KINDS = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def write_excel_like(csv_path: Path, xlsx_path: Path, sheet_name: str = "实有人口") -> None:
    """The CSV's rows (all text) as the only sheet of an .xlsx with shared strings."""
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = sum(1 for _ in handle)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        width = len(next(csv.reader(handle)))
    letters = [get_column_letter(column + 1) for column in range(width)]
    strings: dict[str, int] = {}
    with zipfile.ZipFile(xlsx_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
            f'+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{_KINDS}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_KINDS}.'
            f'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="{_KINDS}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_KINDS}.styles+xml"/></Types>'))
        archive.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
                         f'"{_PACKAGE}"><Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" '
                         'Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns='
                         f'"{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets><sheet name="{escape(sheet_name)}" sheetId="1" '
                         'r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PACKAGE}">'
            f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>'))
        archive.writestr("xl/styles.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{_MAIN}"><fonts count="1"><font>'
            '<sz val="11"/><name val="等线"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill>'
            '</fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '</cellXfs></styleSheet>'))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet, \
                csv_path.open(encoding="utf-8-sig", newline="") as handle:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}"><dimension '
                        f'ref="A1:{letters[-1]}{rows}"/><sheetData>'.encode())
            for number, cells in enumerate(csv.reader(handle), start=1):
                sheet.write((f'<row r="{number}">' + "".join(
                    f'<c r="{letters[column]}{number}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>'
                    for column, value in enumerate(cells) if value) + "</row>").encode())
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as shared:
            shared.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{_MAIN}" count="{len(strings)}" '
                         f'uniqueCount="{len(strings)}">'.encode())
            for text in strings:
                shared.write(f"<si><t>{escape(text)}</t></si>".encode())
            shared.write(b"</sst>")
