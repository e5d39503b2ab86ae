"""Reference data in the reader's language: in English, lists and the event page show the
English names of categories, grids and departments; in Chinese (and where no English name
exists) the Chinese ones."""

import pytest
from django.test import Client

from accounts.services import department_update
from grids.services import area_update


def page(user, url, language):
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def dispatched(cast, departments, file, walk, tree):
    area_update(actor=None, area=tree["G11"], name_en="Yuetang Grid 1")
    department_update(actor=None, department=departments["S1_cg"], name_en="Leping Urban Management Squad")
    return walk(file(description="路边一堆废弃物"), "dispatched")


@pytest.mark.django_db
def test_event_list_and_event_page_in_english(cast, dispatched):
    listing = page(cast["dispatcher"], "/events/", "en")
    assert "City appearance / Exposed garbage" in listing
    assert "Yuetang Grid 1" in listing
    assert "暴露垃圾" not in listing and "市容环境" not in listing

    detail = page(cast["dispatcher"], dispatched.get_absolute_url(), "en")
    assert "City appearance / Exposed garbage" in detail
    assert "Leping Urban Management Squad" in detail
    assert "Yuetang Grid 1" in detail
    assert "暴露垃圾" not in detail

    queue = page(cast["handler"], "/events/queue/", "en")
    assert "Exposed garbage" in queue and "暴露垃圾" not in queue


@pytest.mark.django_db
def test_chinese_pages_and_missing_english_names_stay_chinese(cast, dispatched, tree):
    listing = page(cast["dispatcher"], "/events/", "zh-hans")
    assert "市容环境 / 暴露垃圾" in listing and "Exposed garbage" not in listing
    # The command center (street S1) has no English name: the Chinese one, also in English.
    detail = page(cast["dispatcher"], dispatched.get_absolute_url(), "en")
    assert tree["S1"].name in detail


@pytest.mark.django_db
def test_the_demo_city_has_english_names():
    from accounts.models import Department
    from events.models import Category
    from governance.demo import load_demo_city
    from grids.models import Area

    load_demo_city()
    assert Area.objects.get(code="431302001000").name_en == "Leping Subdistrict"
    assert Area.objects.get(code="43130200100102").name_en == "Yuetang Community Grid 2"
    assert Department.objects.get(code="431302000000-CGJ").name_en == "Louxing District Urban Management Bureau"
    assert not Area.objects.filter(name_en="").exists()
    assert not Department.objects.filter(name_en="").exists()
    assert not Category.objects.filter(name_en="").exists()
