"""Filing events: grid from the location, idempotency, duplicate hints, photos, on-site
resolution, scoping of the pages."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from freezegun import freeze_time
from PIL import Image

from accounts.scoping import events_visible_to
from events.models import Attachment, Event
from workflow.machine import State
from workflow.models import Stage, Timer
from workflow.services import event_file


def photo(name="photo.jpg", size=(1600, 1200), kind="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_the_grid_comes_from_the_location_and_the_code_is_readable(file, tree, cast):
    event = file()
    assert event.grid == tree["G11"]
    assert event.command_area == tree["S1"]
    assert len(event.code) == 15 and event.code[8] == "-"
    assert event.state == State.REPORTED
    assert set(Timer.objects.filter(event=event).values_list("stage", flat=True)) == {Stage.ACCEPT, Stage.TOTAL}
    assert event.timeline.get().transition == "report"
    assert file().code[-6:] == "000002"


def test_a_location_outside_every_grid_is_refused(file):
    with pytest.raises(ValidationError) as error:
        file(latitude=30.0, longitude=100.0)
    assert "outside every grid" in str(error.value)


def test_staff_file_only_in_the_grids_they_serve(file, cast, tree):
    with pytest.raises(ValidationError):
        file(actor=cast["outsider"])
    assert file(actor=cast["outsider"], latitude=27.405, longitude=112.205).grid == tree["G31"]


def test_a_retried_submission_returns_the_first_event(cast, reference_data, tree):
    first, created = event_file(actor=cast["worker"], channel="grid_worker", category="0101", description="垃圾",
                                latitude=27.705, longitude=112.005, idempotency_key="phone-42-draft-7")
    again, created_again = event_file(actor=cast["worker"], channel="grid_worker", category="0101", description="垃圾",
                                      latitude=27.705, longitude=112.005, idempotency_key="phone-42-draft-7")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Event.objects.count() == 1
    # Keys are unique per client: another reporter's same key files its own event and
    # learns nothing about the first.
    other, other_created = event_file(actor=cast["grid_leader"], channel="grid_worker", category="0101", description="x",
                                      latitude=27.705, longitude=112.005, idempotency_key="phone-42-draft-7")
    assert other_created and other.pk != first.pk and other.reporter == cast["grid_leader"]
    again, created_again = event_file(actor=cast["grid_leader"], channel="grid_worker", category="0101", description="x",
                                      latitude=27.705, longitude=112.005, idempotency_key="phone-42-draft-7")
    assert (created_again, again.pk) == (False, other.pk)


def test_a_nearby_open_event_of_the_same_class_is_flagged_and_can_be_merged(file, cast):
    from workflow.services import event_transition

    first = file(latitude=27.7050, longitude=112.0050)
    near = file(latitude=27.7053, longitude=112.0052)  # about 40 m away
    other_class = file(category="0201", latitude=27.7053, longitude=112.0052)
    far = file(latitude=27.7090, longitude=112.0090)  # about 570 m away
    assert near.duplicate_of == first
    assert other_class.duplicate_of is None
    assert far.duplicate_of is None
    merged = event_transition(actor=cast["dispatcher"], event_id=near.pk, name="merge", into=first.pk)
    assert (merged.state, merged.merged_into) == (State.MERGED, first)
    assert first.timeline.filter(transition="merged_here").exists()


def test_photos_are_checked_by_content_and_get_thumbnails(file, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    event = file(attachments=[photo(), photo("scan.png", kind="PNG")])
    attachments = list(Attachment.objects.filter(event=event))
    assert [item.content_type for item in attachments] == ["image/jpeg", "image/png"]
    assert all(item.thumbnail for item in attachments)
    with Image.open(attachments[0].thumbnail.path) as thumbnail:
        assert max(thumbnail.size) == 320

    with pytest.raises(ValidationError) as error:
        file(attachments=[SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not a photo")])
    assert "virus.jpg is not a photo" in str(error.value)
    settings.EVENT_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        file(attachments=[photo()])
    assert "larger than" in str(error.value)
    assert Event.objects.count() == 1


def test_required_extra_fields_are_checked(file):
    with pytest.raises(ValidationError) as error:
        file(category="0504")  # 道路积水 needs the water depth
    assert "extra.depth" in error.value.message_dict
    assert file(category="0504", extra={"depth": "knee"}).extra == {"depth": "knee"}
    with pytest.raises(ValidationError):
        file(category="0504", extra={"depth": "ocean"})


def test_onsite_resolution_needs_an_allowed_category_and_a_result(file):
    with pytest.raises(ValidationError):
        file(category="0301", resolved_on_site=True, result="已制止")  # illegal construction
    with pytest.raises(ValidationError):
        file(category="0101", resolved_on_site=True, result="")
    event = file(category="0101", resolved_on_site=True, result="已清理", onsite_attachments=[photo()])
    assert event.state == State.HANDLED
    assert set(Timer.objects.filter(event=event).values_list("stage", flat=True)) == {Stage.VERIFY, Stage.TOTAL}


def test_who_sees_which_event(file, walk, cast, departments):
    event = walk(file(), State.DISPATCHED)
    assert events_visible_to(cast["worker"]).filter(pk=event.pk).exists()  # filed it, and it is their grid
    assert events_visible_to(cast["leader"]).filter(pk=event.pk).exists()  # street subtree
    assert events_visible_to(cast["handler"]).filter(pk=event.pk).exists()  # dispatched to the department
    assert not events_visible_to(cast["other_handler"]).exists()
    assert not events_visible_to(cast["outsider"]).exists()


def test_pages_answer_404_out_of_scope(client, file, cast):
    event = file()
    client.force_login(cast["outsider"])
    assert client.get(f"/events/{event.pk}/").status_code == 404
    assert client.post(f"/events/{event.pk}/act/accept/").status_code == 404
    assert event.code not in client.get("/events/").content.decode()

    client.force_login(cast["dispatcher"])
    page = client.get(f"/events/{event.pk}/")
    assert page.status_code == 200
    assert f"/events/{event.pk}/act/accept/" in page.content.decode()
    response = client.post(f"/events/{event.pk}/act/accept/", {"note": "受理"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == State.ACCEPTED
    page = client.get(f"/events/{event.pk}/")
    assert "乐坪街道城管中队" in page.content.decode()  # the default department is offered


def test_notifications_page_lists_and_marks_read(client, file, cast):
    event = file()
    client.force_login(cast["dispatcher"])
    page = client.get("/events/notifications/")
    assert event.code in page.content.decode()
    assert not cast["dispatcher"].notifications.filter(read_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_areas_of_events_come_from_one_read_and_follow_a_change(tree):
    """Every area's row is read into the catalogue in one statement (``_area_cached``):
    another grid costs no statement, each call gives a new instance, and a renamed or new
    area is seen at once; inside the transaction that changes areas, the one area asked
    for is read (not all of them, again and again)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from events.services import _area_cached
    from grids.services import area_create, area_update

    first = _area_cached(tree["G11"].pk)
    assert (first.name, first.path, first.level) == (tree["G11"].name, tree["G11"].path, "grid")
    assert first.get_deferred_fields() == {"boundary"}
    with CaptureQueriesContext(connection) as read:
        others = [_area_cached(tree[name].pk) for name in ("G12", "G21", "G31", "S1", "A", "city")]
    assert [area.code for area in others] == [tree[name].code for name in ("G12", "G21", "G31", "S1", "A", "city")]
    assert read.captured_queries == []
    first.name = "改过的"
    assert _area_cached(tree["G11"].pk).name == tree["G11"].name  # the caller's change stays its own
    area_update(actor=None, area=tree["G12"], name="新名字网格")
    assert _area_cached(tree["G12"].pk).name == "新名字网格"
    new = area_create(actor=None, parent=tree["S1"], code="431302001099", name="新社区", level="community")
    assert _area_cached(new.pk).name == "新社区"
    with transaction.atomic():
        area_update(actor=None, area=tree["G21"], name="事务里改名")
        with CaptureQueriesContext(connection) as read:
            assert _area_cached(tree["G21"].pk).name == "事务里改名"
        whole = [query for query in read.captured_queries if 'FROM "grids_area"' in query["sql"] and "WHERE" not in query["sql"]]
        assert read.captured_queries and whole == []


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a sequence per day on PostgreSQL")
@freeze_time("2026-06-16 04:00:00", tick=True)  # midday in Beijing: every filing of the test on one day
def test_the_days_number_comes_with_the_insert_and_a_sequence_lost_under_the_process_is_made_again(
        file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # committed: this process knows the day's sequence
        first = file()
    day, number = first.code.split("-")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SEQUENCE event_code_{day} RESTART WITH 999999")
    assert [file().code, file().code] == [f"{day}-999999", f"{day}-1000000"]  # six digits at least, never cut
    with connection.cursor() as cursor:  # a database restored under the running process
        cursor.execute(f"DROP SEQUENCE event_code_{day}")
    again = file()
    assert again.code == f"{day}-1000001" and Event.objects.filter(code=again.code).count() == 1
