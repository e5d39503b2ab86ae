"""Editing a campaign's form after publishing: the page (field by field) and the API make
a new version; answers keep the version they were given against; new answers are checked
against the new one; the ledger keeps the columns of dropped fields; audited; managers
only (404 for others)."""

import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from accounts.models import AuditEntry
from campaigns.answers import target_answer
from campaigns.form_editor import row_initial
from campaigns.models import Answer, Campaign, FormVersion, Target

pytestmark = pytest.mark.django_db


def formset_post(form: list[dict], extra_rows: list[dict] = (), removed: tuple = (), category="0101") -> dict:
    """The editor's POST: the current fields as rows (some ticked Remove), then new rows."""
    rows = [row_initial(spec) for spec in form] + list(extra_rows)
    data = {"fields-TOTAL_FORMS": str(len(rows)), "fields-INITIAL_FORMS": str(len(form)), "fields-MIN_NUM_FORMS": "0",
            "fields-MAX_NUM_FORMS": "60", "problem_category": category}
    for number, row in enumerate(rows):
        for name, value in row.items():
            if isinstance(value, bool):
                if value:
                    data[f"fields-{number}-{name}"] = "on"
            else:
                data[f"fields-{number}-{name}"] = str(value)
        if row.get("code") in removed:
            data[f"fields-{number}-remove"] = "on"
    return data


def test_editing_the_form_on_the_page_after_publishing(registry, make_campaign, crew, client):
    campaign = make_campaign()
    h1 = Target.objects.get(campaign=campaign, label="1栋1单元101 #H1")
    h2 = Target.objects.get(campaign=campaign, label="1栋1单元102 #H2")
    before, _ = target_answer(actor=crew["worker"], target=h1, outcome="visited", idempotency_key="v1",
                              values={"has_gas": "no", "note": "老表单的备注"})
    client.force_login(crew["dispatcher"])
    page = client.get(f"/campaigns/{campaign.pk}/form/")
    assert page.status_code == 200 and 'value="hose_age"' in page.content.decode()
    co_alarm = {"code": "co_alarm", "label": "是否安装燃气报警器", "type": "yesno", "required": True,
                "problem_rule": "equals", "problem_value": "no"}
    response = client.post(f"/campaigns/{campaign.pk}/form/", formset_post(campaign.form, [co_alarm], removed=("note",)))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.form_version == 2
    assert [spec["code"] for spec in campaign.form] == ["has_gas", "leak", "hose_age", "co_alarm"]
    assert campaign.form[-1] == {"code": "co_alarm", "label": "是否安装燃气报警器", "type": "yesno", "required": True,
                                 "problem": {"equals": "no"}}
    assert list(FormVersion.objects.filter(campaign=campaign).values_list("version", flat=True).order_by("version")) == [1, 2]
    entry = AuditEntry.objects.get(action="campaign_form_change", object_id=str(campaign.pk))
    assert entry.changes["version"] == 2 and entry.changes["added"] == ["co_alarm"] and entry.changes["removed"] == ["note"]
    # The answer given before keeps its version; a new one is checked against version 2.
    assert Answer.objects.get(pk=before.pk).form_version == 1
    with pytest.raises(ValidationError) as refused:
        target_answer(actor=crew["worker"], target=h2, outcome="visited", idempotency_key="v2", values={"has_gas": "no"})
    assert "co_alarm" in str(refused.value)
    after, _ = target_answer(actor=crew["worker"], target=h2, outcome="visited", idempotency_key="v3",
                             values={"has_gas": "no", "co_alarm": "no"})
    assert (after.form_version, after.problems) == (2, ["co_alarm"])
    # The ledger still shows the dropped field's answer given against version 1.
    export = client.get(f"/campaigns/{campaign.pk}/ledger.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content)))["排查台账"].values)
    assert rows[0][-5:] == ("是否使用燃气", "是否有泄漏", "软管使用年限", "是否安装燃气报警器", "备注")
    h1_row = next(row for row in rows[1:] if row[5] == "1栋1单元101 #H1")
    assert h1_row[-1] == "老表单的备注"


def test_a_bad_edit_is_refused_with_every_mistake_and_changes_nothing(registry, make_campaign, crew, client):
    campaign = make_campaign()
    client.force_login(crew["dispatcher"])
    bad = {"code": "Bad Code", "label": "", "type": "choice", "when_field": "nowhere", "when_equals": "x"}
    response = client.post(f"/campaigns/{campaign.pk}/form/", formset_post(campaign.form, [bad]))
    assert response.status_code == 400
    text = response.content.decode()
    assert text.count("<li>") >= 3  # the code, the missing label, the choices, the condition
    assert Campaign.objects.get(pk=campaign.pk).form_version == 1
    unchanged = client.post(f"/campaigns/{campaign.pk}/form/", formset_post(campaign.form), follow=True)
    assert "表单没有改动" in unchanged.content.decode() or "Nothing changed" in unchanged.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).form_version == 1


def test_the_form_api_and_its_scope(registry, make_campaign, crew, client):
    campaign = make_campaign()
    url = f"/api/v1/campaigns/{campaign.pk}/form/"
    client.force_login(crew["worker"])  # a grid worker sees the campaign but does not manage it
    assert client.get(url).status_code == 404
    assert client.put(url, {"form": campaign.form}, content_type="application/json").status_code == 404
    client.force_login(crew["dispatcher"])
    bad = client.put(url, {"form": [{"code": "x", "type": "nope", "label": "?"}]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "form" in bad.json()["detail"]
    form = [*campaign.form, {"code": "valve", "label": "阀门是否完好", "type": "yesno", "problem": {"equals": "no"}}]
    saved = client.put(url, {"form": form}, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["form_version"] == 2
    same = client.put(url, {"form": form}, content_type="application/json")  # unchanged: no new version
    assert same.json()["form_version"] == 2
    versions = client.get(url).json()["versions"]
    assert [version["version"] for version in versions] == [1, 2] and versions[1]["form"][-1]["code"] == "valve"
