"""The grid worker's resident pages: my grid, care visits (recorded once per day), the
notice board's QR code leading to the public report page for the building."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from residents.models import Building, CareVisit, KeyPlace
from residents.services import resident_tag_add
from tests.residents.factories import ResidentFactory


@pytest.fixture
def client():
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def tagged(staff, tree):
    resident = ResidentFactory(grid=tree["G12"], name="王奶奶")
    return resident_tag_add(actor=staff["worker"], resident=resident, group="elderly_alone",
                            since=timezone.localdate() - datetime.timedelta(days=400))


def test_my_grid_lists_buildings_places_and_residents_of_my_grids_only(client, staff, tree):
    Building.objects.create(grid=tree["G12"], name="3栋", address="月塘路3号")
    Building.objects.create(grid=tree["G21"], name="花山1栋")
    KeyPlace.objects.create(grid=tree["G12"], name="月塘农贸市场", kind="market")
    ResidentFactory(grid=tree["G12"])
    client.force_login(staff["worker"])

    response = client.get(reverse("residents:my_grid"))

    [sheet] = response.context["sheets"]
    assert (sheet.grid, sheet.residents, [b.name for b in sheet.buildings]) == (tree["G12"], 1, ["3栋"])
    assert "月塘农贸市场" in response.content.decode() and "花山1栋" not in response.content.decode()


def test_a_care_visit_is_recorded_once_and_moves_the_due_date(client, staff, tagged):
    client.force_login(staff["worker"])
    today = timezone.localdate()
    data = {"tag": tagged.pk, "visited_on": today.isoformat(), "note": "身体好"}

    page = client.get(reverse("residents:visits"))
    first = client.post(reverse("residents:visits"), data, headers={"HX-Request": "true"})
    client.post(reverse("residents:visits"), data, headers={"HX-Request": "true"})

    assert "王奶奶" in page.content.decode()
    assert "Visit recorded." in first.content.decode()
    assert CareVisit.objects.filter(tag=tagged).count() == 1
    tagged.refresh_from_db()
    assert tagged.last_visit_on == today and tagged.next_visit_due > today


def test_a_visit_in_the_future_is_refused_readably(client, staff, tagged):
    client.force_login(staff["worker"])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post(reverse("residents:visits"), {"tag": tagged.pk, "visited_on": tomorrow.isoformat()},
                           headers={"HX-Request": "true"})

    assert "A visit cannot be in the future." in response.content.decode()
    assert CareVisit.objects.count() == 0


def test_visits_out_of_scope_are_404(client, staff, tagged):
    client.force_login(staff["other_worker"])

    response = client.post(reverse("residents:visits"), {"tag": tagged.pk, "visited_on": timezone.localdate().isoformat()})

    assert response.status_code == 404
    assert "王奶奶" not in client.get(reverse("residents:visits")).content.decode()


def test_notice_board_qr_code_opens_the_public_report_for_the_building(client, staff, tree):
    building = Building.objects.create(grid=tree["G12"], name="3栋", address="月塘路3号", lat=27.705, lon=112.015)
    client.force_login(staff["worker"])

    board = client.get(reverse("residents:notice_board", args=[building.pk]))

    html = board.content.decode()
    assert "<svg" in html
    link = re.search(r'/report/\?b=[^"\s<]+', board.context["report_url"]).group(0)
    anonymous = Client(headers={"accept-language": "en"})
    report = anonymous.get(link)
    assert report.context["building"] == building
    assert report.context["form"].initial["address"] == "月塘路3号 3栋"
    tampered = anonymous.get(link[:-2] + "xx")
    assert tampered.context["building"] is None
    client.force_login(staff["other_worker"])
    assert client.get(reverse("residents:notice_board", args=[building.pk])).status_code == 404
