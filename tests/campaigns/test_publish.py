"""Publishing: targets per target kind from the registry, workers, counters; moves after
publishing; reassignment within a grid."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns.counters import progress_drift
from campaigns.models import Progress, Target, TargetStatus
from campaigns.selectors import progress_rows
from campaigns.services import campaign_publish, campaign_refresh, target_reassign
from residents.models import Room

pytestmark = pytest.mark.django_db


def labels(campaign):
    return sorted(Target.objects.filter(campaign=campaign).values_list("label", flat=True))


@pytest.mark.parametrize(("kind", "extra", "expected"), [
    # H3's only member moved out; H9 lies outside the street.
    ("household", {}, ["1栋1单元101 #H1", "1栋1单元102 #H2", "2栋1单元101 #H4"]),
    ("building", {}, ["1栋", "2栋"]),
    ("rental_room", {}, ["1栋1单元102", "1栋1单元201"]),
    ("key_place", {"place_kinds": ["market"]}, ["菜市场"]),
    ("key_place", {}, ["医院", "菜市场"]),
])
def test_publish_creates_one_target_per_member_of_the_population(registry, make_campaign, kind, extra, expected):
    campaign = make_campaign(kind=kind, **extra)
    assert labels(campaign) == sorted(expected)
    assert campaign.state == "published"
    assert progress_drift(campaign) == []


def test_special_group_targets_are_the_members(registry, make_campaign):
    campaign = make_campaign(kind="special_group", groups=["elderly_alone"])
    target = Target.objects.get(campaign=campaign)
    assert target.object_id == registry["H4_people"][0].pk
    assert target.grid_id == registry["H4"].grid_id


def test_targets_go_to_the_grids_full_time_worker(registry, make_campaign, crew, tree):
    campaign = make_campaign()
    workers = dict(Target.objects.filter(campaign=campaign).values_list("label", "worker__username"))
    assert workers == {"1栋1单元101 #H1": "g11_worker", "1栋1单元102 #H2": "g11_worker", "2栋1单元101 #H4": "g12_worker"}
    street, communities = progress_rows(campaign, tree["S1"])
    assert (street.targets, street.visited) == (3, 0)
    assert [(row.area.name, row.targets) for row in communities] == [(tree["C1"].name, 3)]
    # Only the grids have counter rows (G11, G12); the street and community are summed.
    assert set(Progress.objects.filter(campaign=campaign, worker=None).values_list("area__level", flat=True)) == {"grid"}
    assert Progress.objects.filter(campaign=campaign, worker=None).count() == 2


def test_publishing_twice_is_refused_and_only_managers_publish(registry, make_campaign, crew):
    campaign = make_campaign()
    with pytest.raises(ValidationError):
        campaign_publish(actor=crew["dispatcher"], campaign=campaign)
    draft = make_campaign(publish=False)
    with pytest.raises(PermissionDenied):
        campaign_publish(actor=crew["worker"], campaign=draft)


def test_refresh_closes_moved_out_targets_adds_new_ones_and_follows_moves(registry, make_campaign, tree):
    from tests.campaigns.conftest import _household, _room

    campaign = make_campaign()
    # H2's member moves out; a new household moves into G12; H1 moves to G12.
    person = registry["H2_people"][0]
    person.moved_out_on = person.moved_in_on.replace(year=2025)
    person.save()
    _household(tree["G12"], "H5", _room(tree["G12"], "2栋", "1单元", "102"), 1)
    h1 = registry["H1"]
    h1.grid = tree["G12"]
    h1.save()
    result = campaign_refresh(actor=None, campaign=campaign)
    assert result == {"moved_out": 1, "moved": 1, "added": 1}
    by_label = {t.label: t for t in Target.objects.filter(campaign=campaign)}
    assert by_label["1栋1单元102 #H2"].status == TargetStatus.MOVED_OUT
    assert by_label["1栋1单元101 #H1"].grid_id == tree["G12"].pk
    assert by_label["1栋1单元101 #H1"].worker.username == "g12_worker"
    assert "2栋1单元102 #H5" in by_label
    assert progress_drift(campaign) == []
    street = progress_rows(campaign, tree["S1"])[0]
    assert (street.targets, street.moved_out, street.due) == (4, 1, 3)


def test_reassign_within_the_grid_moves_the_workers_counts(registry, make_campaign, crew):
    campaign = make_campaign()
    target = Target.objects.get(campaign=campaign, label="1栋1单元101 #H1")
    target_reassign(actor=crew["grid_leader"], target=target, worker=crew["g11_parttime"])
    assert Target.objects.get(pk=target.pk).worker == crew["g11_parttime"]
    assert progress_drift(campaign) == []
    with pytest.raises(ValidationError):
        target_reassign(actor=crew["grid_leader"], target=target, worker=crew["g12_worker"])  # another grid
    with pytest.raises(PermissionDenied):
        target_reassign(actor=crew["worker"], target=target, worker=crew["worker"])


def test_a_bad_form_is_refused_with_every_mistake(tree, crew):
    import datetime

    from campaigns.services import campaign_create

    with pytest.raises(ValidationError) as error:
        campaign_create(actor=crew["dispatcher"], area=tree["S1"], name="x", target_kind="household",
                        starts_on=datetime.date(2026, 1, 2), ends_on=datetime.date(2026, 1, 1),
                        form=[{"code": "A", "type": "radio", "label": ""}])
    messages = error.value.message_dict
    assert "ends_on" in messages and len(messages["form"]) == 3
    assert Room.objects.count() == 0
