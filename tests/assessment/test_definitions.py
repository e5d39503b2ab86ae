"""Ratio definitions and score formulas are data: city administrators add and edit them
in the admin (audited); a bad filter spec gets a specific error in the user's language."""

import json

import pytest

from accounts.models import AuditEntry, Role
from assessment.models import RatioDefinition
from assessment.periods import period_parse
from assessment.selectors import results_compute
from assessment.specs import SpecError, spec_check


@pytest.fixture
def city_admin(tree, make_user, reference_data):
    return make_user(Role.ADMIN, area=tree["city"], username="city_admin", is_staff=True)


def form(**values):
    data = {"code": "supervised_rate", "name": "督办率", "name_en": "Supervision rate", "description": "",
            "denominator": json.dumps({"reported_at__gte": "$start", "reported_at__lt": "$end"}),
            "numerator": json.dumps({"is_supervised": True}), "weight": "1", "higher_is_better": "",
            "is_active": "on", "order": "200"}
    data.update(values)
    return data


@pytest.mark.django_db
def test_city_admin_adds_a_ratio_and_it_is_computed(client, city_admin, october, tree):
    client.force_login(city_admin)
    response = client.post("/admin/assessment/ratiodefinition/add/", form())
    assert response.status_code == 302
    ratio = RatioDefinition.objects.get(code="supervised_rate")
    assert AuditEntry.objects.filter(action="ratiodefinition_create", object_id=str(ratio.pk)).exists()
    s1 = next(unit for unit in results_compute(user=None, kind="street", period=period_parse("2026-10"))
              if unit.code == tree["S1"].code)
    # Nothing was supervised among the 11 events reported in S1 in October.
    assert s1.counts["supervised_rate"] == (0, 11)


@pytest.mark.django_db
@pytest.mark.parametrize("numerator, message", [
    ({"secret_field": 1}, "Unknown field “secret_field”"),
    ({"state__regex": ".*"}, "The lookup “regex” is not allowed on “state”"),
    ({"state": "lost"}, "“lost” is not a valid value for “state__exact”"),
    ({"closed_at__lt": "2026-01-01"}, "Times can only be compared with “$start” or “$end”"),
    ({"stage_late": "coffee"}, "“stage_late” takes a stage"),
    ({"any": []}, "“any” needs a non-empty list"),
    ([1, 2], "A filter must be a JSON object"),
])
def test_bad_specs_are_refused_with_a_specific_message(client, city_admin, numerator, message):
    client.force_login(city_admin)
    response = client.post("/admin/assessment/ratiodefinition/add/", form(numerator=json.dumps(numerator)),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RatioDefinition.objects.filter(code="supervised_rate").exists()


@pytest.mark.django_db
def test_bad_spec_message_in_chinese(client, city_admin):
    client.force_login(city_admin)
    client.cookies["django_language"] = "zh-hans"
    response = client.post("/admin/assessment/ratiodefinition/add/", form(numerator=json.dumps({"secret_field": 1})))
    assert "未知字段“secret_field”" in response.content.decode()


@pytest.mark.django_db
def test_formula_terms_are_checked(client, city_admin):
    client.force_login(city_admin)
    response = client.post("/admin/assessment/scoreformula/add/", {
        "code": "other", "name": "其他", "name_en": "Other", "terms": json.dumps([{"ratio": "no_such", "weight": 1}])}, HTTP_ACCEPT_LANGUAGE="en")
    assert "There is no ratio with the code “no_such”" in response.content.decode()


@pytest.mark.django_db
def test_street_admin_reads_but_cannot_edit(client, street_admin, reference_data):
    street_admin.is_staff = True
    street_admin.save()
    client.force_login(street_admin)
    ratio = RatioDefinition.objects.get(code="closing_rate")
    page = client.get(f"/admin/assessment/ratiodefinition/{ratio.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post("/admin/assessment/ratiodefinition/add/", form()).status_code == 403


def test_every_seeded_spec_is_valid():
    from assessment.seed import FORMULAS, RATIOS

    assert len(RATIOS) == 13  # ten over events, three over patrol coverage
    for ratio in RATIOS:
        spec_check(ratio["numerator"])
        spec_check(ratio["denominator"])
    assert {term["ratio"] for term in FORMULAS[0]["terms"]} <= {ratio["code"] for ratio in RATIOS}
    with pytest.raises(SpecError):
        spec_check({"not": {"handled_at__lt": "$later"}})
