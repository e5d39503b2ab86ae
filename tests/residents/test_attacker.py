"""The attacker with an ordinary login (issue 13): for every role, collect everything it
can see about each resident through pages, the API and exports, and count the ID and
phone numbers consistent with it. A role without the reveal right must never be left
with fewer than 1,000 candidates for either.

The count is conservative (in the attacker's favour): the resident's true region code
is taken as known (the grid's county code gives it for most people), the gender as
known (it is shown), and every character of every mask seen anywhere is combined.
"""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from residents.ids import check_char
from residents.services import resident_tag_add
from tests.residents.factories import ResidentFactory, id_number

pytestmark = pytest.mark.django_db
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
PEOPLE = [
    ("周强", datetime.date(1979, 3, 14), 37, "13912341001", "drug_user"),
    ("李秀英", datetime.date(2000, 2, 29), 122, "13800001234", "disabled"),
    ("王芳", datetime.date(1948, 12, 31), 8, "15073820019", "elderly_alone"),
    ("赵磊", datetime.date(2016, 1, 1), 501, "", "left_behind_child"),
]


@pytest.fixture
def people(tree, staff):
    residents = []
    for name, birth, sequence, phone, group in PEOPLE:
        number = id_number(region="431302", birth=birth, sequence=sequence)
        resident = ResidentFactory(grid=tree["G12"], name=name, number=number, phone=phone)
        resident_tag_add(actor=staff["worker"], resident=resident, group=group, since=datetime.date(2024, 1, 1))
        residents.append((resident, number, phone))
    return residents


@pytest.fixture
def everyone(staff, tree, make_user):
    return {
        **{key: staff[key] for key in ("worker", "police", "doctor", "parttime", "leader", "admin")},
        "grid_leader": make_user(Role.GRID_LEADER, area=tree["G12"]),
        "liaison": make_user(Role.LIAISON, area=tree["G12"]),
        "legal": make_user(Role.LEGAL, area=tree["G12"]),
        "dispatcher": make_user(Role.DISPATCHER, area=tree["S1"]),
    }


def _text_of(response) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if body[:2] == b"PK":
        sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
        return "\n".join(",".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))
    return body.decode("utf-8-sig", errors="replace")


def _seen(client, resident) -> str:
    """Everything the logged-in user gets back from every surface that shows residents."""
    urls = [
        (reverse("residents:search"), {"q": resident.name[0]}),
        (reverse("residents:detail", args=[resident.pk]), {}),
        ("/api/v1/residents/", {}),
        (f"/api/v1/residents/{resident.pk}/", {}),
        (reverse("residents:export"), {"format": "csv"}),
        (reverse("residents:export"), {"format": "xlsx"}),
        ("/", {}),
        (reverse("residents:visits"), {}),
        (reverse("residents:overdue"), {}),
        (reverse("residents:my_grid"), {}),
    ]
    return "\n".join(_text_of(client.get(url, params)) for url, params in urls)


def _masks(text: str, length: int, alphabet: str) -> list[str]:
    pattern = f"(?<![0-9A-Za-z*])[{alphabet}*]{{{length}}}(?![0-9A-Za-z*])"
    return [m for m in re.findall(pattern, text) if "*" in m or m.isdigit()]


def _known(truth: str, masks: list[str]) -> list[str | None]:
    """Per position, the character some mask consistent with the truth shows."""
    known: list[str | None] = [None] * len(truth)
    for mask in masks:
        if all(c == "*" or c == t for c, t in zip(mask, truth, strict=True)):
            for index, char in enumerate(mask):
                if char != "*":
                    known[index] = char
    return known


def _birth_dates_known(text: str, birth: datetime.date) -> list[datetime.date]:
    """The dates the attacker must still consider: the full date if it shows anywhere in
    any usual spelling, otherwise every day of the (shown or not) birth year."""
    spellings = (birth.isoformat(), birth.strftime("%Y%m%d"), birth.strftime("%Y/%m/%d"), f"{birth.year}年{birth.month}月{birth.day}日")
    if any(spelling in text for spelling in spellings):
        return [birth]
    day = datetime.date(birth.year, 1, 1)
    days = []
    while day.year == birth.year:
        days.append(day)
        day += datetime.timedelta(days=1)
    return days


def id_candidates(text: str, number: str, birth: datetime.date) -> int:
    """IDs consistent with the masks seen, the birth information seen, the gender, the
    true region code and the GB 11643 check character."""
    known = _known(number, _masks(text, 18, "0-9X"))
    region = number[:6]
    odd = int(number[16]) % 2
    # Sequences allowed by the masks and the gender, by their contribution to the checksum.
    by_remainder = [0] * 11
    for sequence in range(1000):
        digits = f"{sequence:03d}"
        if sequence % 2 != odd or any(known[14 + i] not in (None, d) for i, d in enumerate(digits)):
            continue
        by_remainder[sum(int(d) * w for d, w in zip(digits, WEIGHTS[14:], strict=True)) % 11] += 1
    count = 0
    for day in _birth_dates_known(text, birth):
        stem = f"{region}{day:%Y%m%d}"
        if any(known[i] not in (None, c) for i, c in enumerate(stem)):
            continue
        partial = sum(int(d) * w for d, w in zip(stem, WEIGHTS[:14], strict=True))
        for remainder in range(11):
            if known[17] is None or CHECK[(partial + remainder) % 11] == known[17]:
                count += by_remainder[remainder]
    return count


def phone_candidates(text: str, phone: str) -> int:
    if phone in text:
        return 1
    known = _known(phone, _masks(text, 11, "0-9"))
    return 10 ** sum(1 for char in known if char is None)


def test_the_counter_finds_what_the_old_masks_gave_away(people):
    """The counter itself: with the old view (stored mask beside the full birth date) an
    ID falls to a handful of candidates, and a clear phone to one."""
    resident, number, phone = people[0]
    old_view = f"{resident.id_mask} {resident.birth_date.isoformat()} {phone}"
    assert number == number[:17] + check_char(number[:17])
    assert id_candidates(old_view, number, resident.birth_date) == 1
    assert phone_candidates(old_view, phone) == 1
    assert phone_candidates(resident.phone_mask, phone) == 10_000


@pytest.mark.parametrize("role", ["parttime", "doctor", "leader", "liaison", "legal", "dispatcher",
                                  "worker", "police", "grid_leader", "admin"])
def test_no_role_without_the_reveal_right_can_narrow_an_id_or_phone(client, people, everyone, role):
    from residents.privacy import may_see_clear

    user = everyone[role]
    client.force_login(user)
    for resident, number, phone in people:
        text = _seen(client, resident)
        assert number not in text, f"{role} sees the ID number of {resident.name} in clear"
        if may_see_clear(user, resident.grid.path, "id_number"):
            # The full view for roles with the right: stored mask and full birth date.
            assert resident.id_mask in text and resident.birth_date.isoformat() in text
            continue
        assert id_candidates(text, number, resident.birth_date) >= 1000, (role, resident.name)
        if phone and not may_see_clear(user, resident.grid.path, "phone"):
            assert phone_candidates(text, phone) >= 1000, (role, resident.name)


def test_roles_without_the_right_see_the_birth_year_and_the_strict_mask(client, people, everyone):
    resident, number, _phone = people[1]
    client.force_login(everyone["parttime"])

    detail = client.get(reverse("residents:detail", args=[resident.pk])).content.decode()
    api = client.get(f"/api/v1/residents/{resident.pk}/").json()
    # Part-time workers may not export (RESIDENT_EXPORT_ROLES): a leader, who may export
    # but not reveal, gets the same strict mask in the file.
    assert client.get(reverse("residents:export"), {"format": "csv"}).status_code == 403
    client.force_login(everyone["leader"])
    export = list(csv.reader(io.StringIO(_text_of(client.get(reverse("residents:export"), {"format": "csv"})))))

    strict = number[:4] + "*" * 13 + number[-1]
    assert strict in detail and "2000-02-29" not in detail and "2000" in detail
    assert (api["id_number"], api["birth_date"], api["birth_year"]) == (strict, None, 2000)
    row = next(r for r in export if r[0] == resident.name)
    assert (row[2], row[3]) == ("2000", strict)
