"""The configuration admin: city admins edit categories, SLA policies and the calendar;
street admins read them; the calendar warns about years without official data."""

import pytest
from freezegun import freeze_time

from accounts.models import Role
from events.models import Category
from workflow.models import SLAPolicy


@pytest.fixture
def city_admin(tree, make_user, reference_data):
    return make_user(Role.ADMIN, area=tree["city"], username="city_admin", is_staff=True)


def test_city_admin_edits_and_street_admin_reads(client, city_admin, street_admin, reference_data):
    policy = SLAPolicy.objects.select_related("category").first()
    client.force_login(city_admin)
    assert client.get(f"/admin/workflow/slapolicy/{policy.pk}/change/").status_code == 200
    assert client.get("/admin/events/category/add/").status_code == 200

    street_admin.is_staff = True
    street_admin.save()
    client.force_login(street_admin)
    page = client.get(f"/admin/workflow/slapolicy/{policy.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get("/admin/events/category/add/").status_code == 403
    assert Category.objects.filter(parent__isnull=False).count() >= 60


def test_the_calendar_admin_warns_about_a_year_without_data(client, city_admin):
    client.force_login(city_admin)
    with freeze_time("2026-11-22 10:00:00+08:00"):
        page = client.get("/admin/workflow/workcalendar/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "No official holidays for 2027" in page.content.decode()
