"""The assessment pages open on the latest month with data in the user's scope and
pick the period from a list (a typed period still works)."""

from django.urls import reverse
from django.utils import timezone

from assessment.periods import last_month


def test_the_default_period_is_the_latest_month_with_events_in_scope(client, cast, file):
    file()
    this_month = timezone.localdate().strftime("%Y-%m")
    client.force_login(cast["dispatcher"])

    page = client.get(reverse("assessment:rankings"))

    assert page.context["period"].label == this_month
    html = page.content.decode()
    assert f'<option value="{this_month}" selected>' in html and 'name="period_custom"' in html
    client.force_login(cast["outsider"])  # nothing in their grid
    assert client.get(reverse("assessment:rankings")).context["period"].label == last_month().label


def test_a_typed_period_wins_over_the_list_and_a_bad_one_says_why(client, cast, file):
    client.force_login(cast["dispatcher"])

    page = client.get(reverse("assessment:rankings"), {"period": "2026-10", "period_custom": "2026-W40"})
    assert page.context["period"].label == "2026-W40"
    assert '<option value="2026-W40" selected>' in page.content.decode()
    bad = client.get(reverse("assessment:rankings"), {"period_custom": "2026-13"})
    assert bad.context["error"]
    points = client.get(reverse("assessment:points"), {"period": "2026-11"})
    assert points.context["month"].strftime("%Y-%m") == "2026-11"
