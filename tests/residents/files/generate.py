#!/usr/bin/env python
"""Writes the import test corpus in this directory: files the way 台账 arrive (CSV in
UTF-8, GBK and mixtures; .xlsx made with openpyxl), each with the outcome expected for
every row, in ``expected.json``. ``tests/residents/test_import_corpus.py`` imports each
file and checks that the counts add up and every row's outcome.

    .venv/bin/python tests/residents/files/generate.py

Rows are in grid 43130200100102 (月塘第2网格) of the test tree; row numbers are those a
spreadsheet shows (for CSV: the file's line numbers). Reasons are matched as substrings
of the English messages.
"""

import csv
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from openpyxl import Workbook  # noqa: E402

from residents.ids import check_char  # noqa: E402

GRID = "43130200100102"
HEADERS = ["姓名", "性别", "出生日期", "公民身份号码", "联系电话", "民族", "人员类型", "户籍地址", "网格编码", "楼栋", "单元",
           "房号", "户号", "与户主关系", "入住日期"]
EXCEL = "Excel stored the ID number as a number"


def person_id(n: int, year: int = 1980) -> str:
    first17 = f"431302{year}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + check_char(first17)


def legacy_id(n: int) -> str:
    """A 15-digit number (born 19xx) whose 18-character form is person_id(n, 1960)."""
    full = person_id(n, 1960)
    return full[:6] + full[8:17]


def zeroed_id() -> str:
    """What Excel leaves of an 18-digit number (15 digits, then 000) that still passes the
    check character: someone else's valid number."""
    return next(first17 + "0" for day in range(10, 29) for sequence in range(100, 1000, 100)
                if check_char(first17 := f"43130219800{day % 9 + 1}{day}{sequence:03d}") == "0")


class Case:
    """One file: its rows and the outcome expected for each."""

    def __init__(self, name: str, **options):
        self.name = name
        self.rows: list[list] = []
        self.outcomes: dict[int, list] = {}
        self.options = options
        self.first_row = options.pop("first_row", 2)

    def row(self, n: int, *, name=None, id_number=None, phone="", address="", expect=("ok",), **cells) -> list:
        values = {"姓名": name if name is not None else f"居民{n}", "公民身份号码": id_number or person_id(n), "联系电话": phone,
                  "户籍地址": address, "网格编码": GRID, "楼栋": cells.pop("building", "1栋"), "房号": cells.pop("room", f"{100 + n}")}
        values.update(cells)
        row = [values.get(header, "") for header in HEADERS]
        number = self.first_row + len(self.rows)
        self.rows.append(row)
        expected = list(expect)
        if expected[0] == "ok":
            expected = ["ok", values["姓名"].lstrip("'")]
        self.outcomes[number] = expected
        return row

    def expected(self, **extra) -> dict:
        outcomes = [value[0] for value in self.outcomes.values()]
        return {"rows": len(self.outcomes), "ok": outcomes.count("ok"), "errors": outcomes.count("error"),
                "outcomes": {str(k): v for k, v in self.outcomes.items()}, **self.options, **extra}


def csv_text(rows: list[list], headers=HEADERS, above: list[list] = ()) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(list(above) + [headers] + rows)
    return buffer.getvalue()


def filler(case: Case, count: int, start: int) -> None:
    for n in range(start, start + count):
        case.row(n, address=f"娄底市娄星区乐坪街道月塘社区{n}号院")


def main():
    expected = {}

    # 1. A cell opens a quote and never closes it: that line is reported, the rest read.
    case = Case("unbalanced_quote.csv")
    filler(case, 20, 1)
    bad = case.row(21, address="娄底市月塘社区21号院", expect=("error", "", "quote"))
    filler(case, 30, 22)
    text = csv_text(case.rows).replace(",".join(bad), ",".join(bad).replace("娄底市", '"娄底市', 1))
    assert text.count('"') == 1
    (HERE / case.name).write_bytes(text.encode("utf-8-sig"))
    expected[case.name] = case.expected()

    # 2. A NUL byte after the first 64 KB.
    case = Case("nul_after_64k.csv")
    filler(case, 700, 100)
    case.outcomes[651] = ["error", "", "NUL"]  # lines[650] is line 651
    lines = csv_text(case.rows).split("\r\n")
    lines[650] = lines[650].replace("居民", "居\x00民", 1)
    data = "\r\n".join(lines).encode("utf-8")
    assert data.index(b"\x00") > 65536
    (HERE / case.name).write_bytes(data)
    expected[case.name] = case.expected()

    # 3. A 200,000-character cell; cells too many and too few.
    case = Case("long_cell_and_cell_counts.csv")
    filler(case, 3, 1)
    case.row(4, address="长" * 200_000, expect=("error", "", "characters"))
    filler(case, 3, 5)
    too_many = case.row(8, expect=("error", "", "comma too many"))
    too_few = case.row(9, expect=("error", "", "the header has 15"))
    case.row(10)
    text = csv_text(case.rows)
    text = text.replace(",".join(too_many), ",".join(too_many) + ",多余", 1).replace(",".join(too_few), ",".join(too_few[:10]), 1)
    (HERE / case.name).write_bytes(text.encode("utf-8"))
    expected[case.name] = case.expected()

    # 4. Look-alike digits: superscript and circled digits refused by name; full-width
    #    IDs and phones stored in their ASCII form.
    case = Case("lookalike_digits.csv")
    case.row(1, id_number=person_id(1)[:14] + "²" + person_id(1)[15:], expect=("error", "公民身份号码", "「²」"))
    case.row(2, id_number=person_id(2)[:10] + "④" + person_id(2)[11:], expect=("error", "公民身份号码", "「④」"))
    full = person_id(3).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    case.row(3, name="全角号码", id_number=full, phone="１３８００１３８００３")
    case.row(4, name="夹全角", id_number=person_id(4)[:6] + "１９８０" + person_id(4)[10:])
    case.row(5, name="带空格", id_number=" " + person_id(5)[:6] + " " + person_id(5)[6:] + "\u3000")
    (HERE / case.name).write_bytes(csv_text(case.rows).encode("utf-8-sig"))
    expected[case.name] = case.expected(same_person={"全角号码": person_id(3), "夹全角": person_id(4)},
                                        phones={"全角号码": "13800138003"})

    # 5. A UTF-8 file with GBK rows after the first 64 KB, and one line that is neither.
    case = Case("gbk_rows_after_utf8.csv")
    filler(case, 600, 1000)
    gbk_rows = {}
    for k in range(20):
        row = case.row(1600 + k, name=f"王伟{'甲乙丙丁戊己庚辛壬癸'[k % 10]}{k}")
        gbk_rows[case.first_row + len(case.rows) - 1] = row
    case.row(1700, expect=("error", "", "neither UTF-8 nor GBK"))
    filler(case, 5, 1701)
    lines = csv_text(case.rows).split("\r\n")
    data = bytearray()
    for number, line in enumerate(lines, start=1):
        if number in gbk_rows:
            data += line.encode("gbk")
        elif number == 2 + 620:
            data += line.encode("utf-8").replace("居民".encode(), b"\xff\xfe\x80")
        else:
            data += line.encode("utf-8")
        if number < len(lines):
            data += b"\r\n"
    assert data.index(b"\xcd\xf5") > 65536  # 王 in GBK
    (HERE / case.name).write_bytes(bytes(data))
    expected[case.name] = case.expected(notes=["mixes encodings"])

    # 6. The same in GBK throughout (Excel on a Chinese Windows), with a title row.
    case = Case("gbk_with_title.csv", first_row=4)
    filler(case, 10, 2000)
    text = csv_text(case.rows, above=[["月塘社区实有人口台账（2026年12月）"] + [""] * 14, [""] * 15])
    (HERE / case.name).write_bytes(text.encode("gbk"))
    expected[case.name] = case.expected(notes=["row 3"])

    # 7. Excel-numeric IDs in an .xlsx made with openpyxl: refused with the message,
    #    written back into the report as numbers; a 15-digit number survives.
    case = Case("excel_numeric_ids.xlsx")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "实有人口"
    sheet.append(HEADERS)
    for n in range(1, 6):
        row = case.row(3000 + n)
        sheet.append(row)
    for n in range(6, 11):
        row = case.row(3000 + n, expect=("error", "公民身份号码", EXCEL))
        row[3] = float(int(person_id(3000 + n)))  # what Excel keeps: 15 significant digits
        sheet.append(row)
    row = case.row(3011, id_number=legacy_id(3011))
    row[3] = int(legacy_id(3011))
    sheet.append(row)
    workbook.save(HERE / case.name)
    expected[case.name] = case.expected()

    # 8. Excel-numeric IDs as a CSV saves them.
    case = Case("excel_numeric_ids.csv")
    case.row(3101)
    case.row(3102, id_number="4.31302E+17", expect=("error", "公民身份号码", EXCEL))
    mangled = next(person_id(n)[:15] + "000" for n in range(3103, 3200) if check_char(person_id(n)[:15] + "00") != "0")
    case.row(3103, id_number=mangled, expect=("error", "公民身份号码", EXCEL))
    digits_only = next(n for n in range(3105, 3200) if person_id(n).isdigit())
    case.row(digits_only, id_number=person_id(digits_only) + ".0", expect=("error", "公民身份号码", EXCEL))
    (HERE / case.name).write_bytes(csv_text(case.rows).encode("utf-8-sig"))
    expected[case.name] = case.expected()

    # 9. A ledger: a title row, a header over two merged rows (住址 above 楼栋/单元/房号),
    #    and a second sheet.
    case = Case("ledger_merged_header.xlsx", first_row=4)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "一组"
    sheet.append(["月塘社区第2网格实有人口登记台账"] + [None] * 14)
    sheet.merge_cells("A1:O1")
    upper = ["序号", "姓名", "性别", "身份证号码", "手机号", "住址", None, None, "所属网格"]
    lower = [None, None, None, None, None, "楼栋", "单元", "房号", None]
    sheet.append(upper)
    sheet.append(lower)
    for column in "ABCDEI":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("F2:H2")
    for n in range(1, 9):
        row = case.row(4000 + n, building="7栋", room=f"{200 + n}")
        sheet.append([n, row[0], row[1], row[3], row[4], "7栋", "2单元", row[11], GRID])
    other = workbook.create_sheet("二组")
    other.append(HEADERS)
    for n in range(1, 8):
        other.append(Case("x").row(4100 + n))
    workbook.save(HERE / case.name)
    expected[case.name] = case.expected(notes=["row 3", "“二组” (8 rows)"])
    second = Case("ledger_merged_header.xlsx#二组", sheet="二组")
    for n in range(1, 8):
        second.row(4100 + n)
    expected[second.name] = second.expected()

    # 10. Header aliases and spacing: 身份证, 所属网格, 手机号, "姓 名*", extra columns.
    case = Case("header_aliases.csv")
    headers = ["序号", "姓 名*", "身份证", "手机号", "所属网格", "楼栋号", "房间号", "文化程度"]
    rows = []
    for n in range(1, 6):
        case.row(5000 + n)
        rows.append([str(n), f"居民{5000 + n}", person_id(5000 + n), "", GRID, "1栋", f"{100 + 5000 + n}", "初中"])
    (HERE / case.name).write_bytes(csv_text(rows, headers=headers).encode("utf-8"))
    expected[case.name] = case.expected(notes=["文化程度"])

    # 11. 15- and 18-digit forms of one person: in one file the later is a duplicate;
    #     across files (see 11b) the 18-digit form updates the same record.
    case = Case("id_15_18_pairs.csv")
    for n in range(1, 6):
        case.row(6000 + n, name=f"旧号{n}", id_number=legacy_id(6000 + n))
    for n in range(1, 6):
        case.row(6000 + n, name=f"新号{n}", id_number=person_id(6000 + n, 1960), expect=("error", "公民身份号码", "already in row"))
    (HERE / case.name).write_bytes(csv_text(case.rows).encode("utf-8"))
    expected[case.name] = case.expected()
    upgrade = Case("id_18_after_15.csv", before=["id_15_legacy.csv"])
    legacy = Case("id_15_legacy.csv")
    for n in range(1, 6):
        legacy.row(6100 + n, name=f"旧号{n}", id_number=legacy_id(6100 + n))
        upgrade.row(6100 + n, name=f"旧号{n}", id_number=person_id(6100 + n, 1960))
    (HERE / legacy.name).write_bytes(csv_text(legacy.rows).encode("utf-8"))
    (HERE / upgrade.name).write_bytes(csv_text(upgrade.rows).encode("utf-8"))
    expected[legacy.name] = legacy.expected()
    expected[upgrade.name] = upgrade.expected(updated=5, residents=5)

    # 12. One landline in four spellings: four people, one number.
    case = Case("landlines.csv")
    for n, spelling in enumerate(["0738-8312345", "07388312345", "(0738)8312345", "0738 831 2345"], start=1):
        case.row(7000 + n, name=f"座机{n}", phone=spelling)
    case.row(7005, name="无区号", phone="8312345", expect=("error", "联系电话", "area code"))
    (HERE / case.name).write_bytes(csv_text(case.rows).encode("utf-8"))
    expected[case.name] = case.expected(phones={f"座机{n}": "07388312345" for n in range(1, 5)})

    # 13. The formula guard's apostrophe, as error reports and exports write it.
    case = Case("formula_guard.csv")
    case.row(8001, name="'-王六", phone="'+86 138 0013 8001", address="'=娄底市")
    case.row(8002, name="'@李四", address="'+1号")
    case.row(8003, name="O'Brien", address="'普通地址")  # an apostrophe not before = + - @ stays
    (HERE / case.name).write_bytes(csv_text(case.rows).encode("utf-8-sig"))
    expected[case.name] = case.expected(names=["-王六", "@李四", "O'Brien"], phones={"-王六": "13800138001"},
                                        addresses={"-王六": "=娄底市", "O'Brien": "'普通地址"})

    # 14. Excel's "Unicode text": UTF-16 with a BOM, tab-separated.
    case = Case("utf16_unicode_text.csv")
    filler(case, 5, 9000)
    case.row(9005, id_number="12345", expect=("error", "公民身份号码", "18 characters"))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\r\n").writerows([HEADERS] + case.rows)
    (HERE / case.name).write_bytes(buffer.getvalue().encode("utf-16"))
    expected[case.name] = case.expected()

    # 15. Stray quotes: one that opens a cell in a row and closes in a later row would
    #     take the rows between into one cell (their people and ID numbers into an
    #     address): the opening line is reported, the others read as they are. A cell
    #     typed over two lines (Alt+Enter), a comma in it, is still one cell.
    case = Case("stray_quotes.csv")
    filler(case, 24, 9100)
    opening = case.row(9124, address="娄底市", expect=("error", "", "quote"))
    case.row(9125)
    closing = case.row(9126, address="3栋")
    case.row(9127)
    opening2 = case.row(9128, address="娄星区", expect=("error", "", "quote"))
    closing2 = case.row(9129, address="5栋")
    case.row(9130, name="两行地址", address="湖南省,娄底市\n娄星区")
    text = csv_text(case.rows)
    for row, old, new in ((opening, "娄底市", '"娄底市'), (closing, "3栋", '3栋"'), (opening2, "娄星区", '"娄星区'),
                          (closing2, "5栋", '5栋"')):
        text = text.replace(",".join(row), ",".join(row).replace(old, new, 1), 1)
    (HERE / case.name).write_bytes(text.encode("utf-8-sig"))
    expected[case.name] = case.expected(addresses={"两行地址": "湖南省,娄底市\n娄星区", "居民9126": '3栋"'})

    # 16. GBK throughout, with names that GBK writes as bytes that are valid UTF-8 too
    #     (郑伟 would read as ֣ΰ): the encoding is the whole file's, not each line's.
    case = Case("gbk_names_valid_as_utf8.csv")
    names = ["郑伟", "谢英", "袁萍", "叶平", "史强", "莫霞"]
    for n, name in enumerate(names, start=9200):
        assert name.encode("gbk").decode("utf-8") != name  # valid UTF-8, and not the name
        case.row(n, name=name, building="", room="")
    (HERE / case.name).write_bytes(csv_text(case.rows).encode("gbk"))
    expected[case.name] = case.expected()

    # 17. A UTF-8 file with a damaged character (a byte of 区 lost) and with the
    #     replacement character an earlier conversion left: reported, never stored.
    case = Case("damaged_utf8.csv")
    filler(case, 5, 9300)
    damaged = case.row(9305, address="娄底市娄星区", expect=("error", "", "damaged character"))
    case.row(9306, name="替换\ufffd字符", expect=("error", "", "replacement character"))
    filler(case, 3, 9307)
    short = case.row(9310, name="王小明", building="", room="", expect=("error", "", "damaged character"))  # its only Chinese
    data = csv_text(case.rows).encode("utf-8")
    for row, word in ((damaged, "区"), (short, "明")):
        whole = ",".join(row).encode("utf-8")
        data = data.replace(whole, whole.replace(word.encode(), word.encode()[:2], 1), 1)
    (HERE / case.name).write_bytes(data)
    expected[case.name] = case.expected()

    # 19. A UTF-8 file with a GBK row that is valid UTF-8 too (郑伟 as ֣ΰ): reported with
    #     both readings, never stored as either; a name with accents stays UTF-8.
    case = Case("gbk_row_valid_as_utf8_in_utf8.csv")
    filler(case, 5, 9500)
    pasted = case.row(9505, name="郑伟", building="", room="", expect=("error", "", "reads as “郑伟” in GBK but as “֣ΰ”"))
    pasted2 = case.row(9507, name="卢梅", building="", room="", expect=("error", "", "reads as “卢梅” in GBK but as “¬÷”"))
    case.row(9506, name="José Martí", building="", room="")
    case.row(9508, name="Zoë Müller", building="", room="")
    case.row(9509, name="Mary·Smith", building="", room="", address="Room 3é, 25°C, 120m²")  # no Chinese, stays UTF-8
    data = csv_text(case.rows).encode("utf-8")
    for row in (pasted, pasted2):
        whole = ",".join(row)
        data = data.replace(whole.encode("utf-8"), whole.encode("gbk"), 1)
    (HERE / case.name).write_bytes(data)
    expected[case.name] = case.expected()

    # 18. Lines that end at CR alone (old Mac "CSV").
    case = Case("cr_line_ends.csv")
    filler(case, 5, 9400)
    (HERE / case.name).write_bytes(csv_text(case.rows).replace("\r\n", "\r").encode("utf-8"))
    expected[case.name] = case.expected()

    # 20. What Excel leaves in an .xlsx: formula errors (#N/A of a VLOOKUP, #REF!), which
    #     python-calamine gives as empty cells, refused and never clearing anything; an ID
    #     number whose last digits Excel zeroed but whose check character passes, refused
    #     because another ID number of the file is Excel's number (it comes after it).
    case = Case("excel_errors.xlsx")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(case.row(9601, phone="13800139601"))
    sheet.append(case.row(9602, phone="#N/A", expect=("error", "联系电话", "formula error #N/A")))
    sheet.append(case.row(9603, room="#REF!", expect=("error", "房号", "formula error #REF!")))
    sheet.append(case.row(9604, id_number=zeroed_id(), expect=("error", "公民身份号码", "ends in 000")))
    row = case.row(9605, expect=("error", "公民身份号码", EXCEL))
    row[3] = float(int(person_id(9605)))
    sheet.append(row)
    sheet.append(case.row(9606))
    workbook.save(HERE / case.name)
    expected[case.name] = case.expected()

    # 21. The same as a CSV saves them: the errors' text.
    case = Case("excel_errors.csv")
    case.row(9701)
    case.row(9702, name="#N/A", expect=("error", "姓名", "formula error #N/A"))
    case.row(9703, id_number=zeroed_id(), expect=("error", "公民身份号码", "ends in 000"))
    case.row(9704, id_number="4.31302E+17", expect=("error", "公民身份号码", EXCEL))
    case.row(9705, building="#VALUE!", expect=("error", "楼栋", "formula error #VALUE!"))
    (HERE / case.name).write_bytes(csv_text(case.rows).encode("utf-8-sig"))
    expected[case.name] = case.expected()

    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(expected)} cases to {HERE}")


if __name__ == "__main__":
    main()
