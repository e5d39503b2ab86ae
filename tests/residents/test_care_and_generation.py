"""Special groups and care visits; moving out; generated residents."""

import csv
import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.http import Http404

from residents.ids import parse_id_number
from residents.imports import HEADERS, import_file
from residents.models import Resident, ResidentTag
from residents.selectors import overdue_tags, overdue_visits_by_grid, overdue_visits_by_worker
from residents.services import care_visit_record, resident_move_out, resident_tag_add
from tests.residents.factories import ResidentFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 3, 1)


def test_visit_frequency_follows_the_care_level(staff, tree):
    resident = ResidentFactory(grid=tree["G12"])

    high = resident_tag_add(actor=staff["worker"], resident=resident, group="drug_user", since=TODAY)
    general = resident_tag_add(actor=staff["worker"], resident=resident, group="veteran", since=TODAY)

    assert (high.care_level, high.next_visit_due) == ("high", TODAY + datetime.timedelta(days=7))
    assert (general.care_level, general.next_visit_due) == ("general", TODAY + datetime.timedelta(days=90))


def test_a_visit_by_a_grid_worker_moves_the_due_date_and_clears_overdue(staff, tree):
    resident = ResidentFactory(grid=tree["G12"])
    tag = resident_tag_add(actor=staff["worker"], resident=resident, group="elderly_alone", since=datetime.date(2025, 1, 1))
    assert list(overdue_tags(staff["admin"], today=TODAY)) == [tag]
    assert overdue_visits_by_grid(staff["admin"], today=TODAY) == [(tree["G12"].pk, tree["G12"].code, tree["G12"].name, 1)]
    assert overdue_visits_by_worker(staff["admin"], today=TODAY) == [("yuetang_worker", "张伟", 1)]

    care_visit_record(actor=staff["parttime"], tag=tag, visited_on=datetime.date(2025, 2, 20), note="身体好")

    tag.refresh_from_db()
    assert tag.next_visit_due == datetime.date(2025, 3, 22) and tag.visits.count() == 1
    assert not overdue_tags(staff["admin"], today=TODAY).exists()


def test_only_the_grids_workers_record_visits(staff, tree):
    tag = resident_tag_add(actor=staff["worker"], resident=ResidentFactory(grid=tree["G12"]), group="disabled", since=TODAY)

    with pytest.raises(PermissionDenied):
        care_visit_record(actor=staff["doctor"], tag=tag, visited_on=TODAY)
    with pytest.raises(Http404):
        care_visit_record(actor=staff["other_worker"], tag=tag, visited_on=TODAY)


def test_moving_out_keeps_the_record_and_ends_the_tags(staff, tree):
    resident = ResidentFactory(grid=tree["G12"], moved_in_on=datetime.date(2020, 1, 1))
    resident_tag_add(actor=staff["worker"], resident=resident, group="low_income", since=TODAY)

    resident_move_out(actor=staff["worker"], resident=resident, moved_out_on=TODAY)

    resident.refresh_from_db()
    assert resident.moved_out_on == TODAY and Resident.objects.filter(pk=resident.pk).exists()
    assert ResidentTag.objects.get().ended_on == TODAY


def test_generate_city_makes_residents_with_valid_ids_and_a_reimportable_file(tmp_path):
    path = tmp_path / "people.csv"

    call_command("generate_city", "--grids", "14", "--residents", "600", "--residents-file", str(path), "--city-code", "439800000000")

    assert Resident.objects.count() == 600
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == HEADERS and len(rows) == 601
    for cells in rows[1:50]:
        number = parse_id_number(cells[3])
        assert number.birth_date.isoformat() == cells[2]
        assert ("男" if number.gender == "M" else "女") == cells[1]
    assert ResidentTag.objects.exists()
    result, _report = import_file(actor=None, path=path)
    assert (result.rows, result.created, result.updated, result.unchanged, result.errors) == (600, 0, 0, 600, 0), result.error_sample[:3]
    call_command("generate_city", "--grids", "14", "--city-code", "439800000000", "--replace")
    assert not Resident.objects.exists()
