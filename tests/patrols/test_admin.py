"""City administrators edit the checklist in the admin: a save publishes a new version
(audited); a street administrator may read it but not change it."""

import pytest

from accounts.models import AuditEntry, Role
from patrols.models import PatrolItem


def form_data(item, **changes):
    current = item.current
    data = {"patrol_class": item.patrol_class_id, "code": item.code, "order": item.order, "is_active": "on",
            "name": current.name, "name_en": current.name_en, "guidance": current.guidance, "target": current.target,
            "kinds": "[]", "frequency": current.frequency,
            "default_category": current.default_category_id or "",
            "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1", "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "0", "versions-0-id": current.pk, "versions-0-item": item.pk}
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_city_admin_revises_an_item_and_a_street_admin_cannot(client, tree, make_user, checklist):
    item = PatrolItem.objects.get(code="0201")
    url = f"/admin/patrols/patrolitem/{item.pk}/change/"
    street_admin = make_user(Role.ADMIN, area=tree["S1"], is_staff=True)
    client.force_login(street_admin)
    assert client.get(url).status_code == 200
    assert client.post(url, form_data(item, frequency="daily")).status_code == 403

    city_admin = make_user(Role.ADMIN, area=tree["city"], is_staff=True)
    client.force_login(city_admin)
    response = client.post(url, form_data(item, frequency="daily", name="消防通道和楼道"))
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert (item.current.number, item.current.frequency, item.current.name) == (2, "daily", "消防通道和楼道")
    assert item.versions.get(number=1).frequency == "weekly"
    entry = AuditEntry.objects.get(action="patrol_item_revise", object_id=str(item.pk))
    assert entry.actor == city_admin and entry.changes["frequency"] == "daily"
