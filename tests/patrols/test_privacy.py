"""Personal information (China's Personal Information Protection Law): a person's copy of their own
data (JSON and GPX, on /people/me/export/ and from the admin), the anonymisation of a person who
leaves, and raw GPS fixes deleted after their retention period (manage.py purge_raw_tracks)."""

import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from datetime import date, datetime
from datetime import timezone as dt_timezone

import gpxpy
import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from patrols import privacy
from patrols.models import Activity, Photo, RawTrack, ReachVisit, ServiceRecord
from people import services as people_services
from people.models import ChiefAssignment, Person
from tests.support.clock import beijing
from tests.support.factories import activity_body
from tests.support.walks import MAY_DAY_8AM_MS, walk_along

MINUTE_MS = 60_000


def post(client, body):
    response = client.post("/api/activities/", body, format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"])


def day(text, hour=8):
    return {"started_at": f"{text}T{hour:02d}:00:00+08:00", "ended_at": f"{text}T{hour + 1:02d}:00:00+08:00"}


def ms_at(text, hour=8):
    return int(datetime.fromisoformat(f"{text}T{hour:02d}:00:00+08:00").timestamp() * 1000)


def two_walks():
    """A walk along 狮子沟 with a 20-minute pause (so two stored segments), and one fix too
    inaccurate to keep in the middle of the first."""
    first = walk_along("ZW-G07", start_m=0, length_m=400)
    second = walk_along("ZW-G07", start_m=500, length_m=300, start_ms=MAY_DAY_8AM_MS + 20 * MINUTE_MS)
    blurred = [first[10][0] + 0.001, first[10][1], first[10][2] + 1000, 80.0]
    return first[:11] + [blurred] + first[11:] + second


@pytest.fixture
def work(crew, api):
    """The volunteer's year: a patrol alone (two segments), a patrol the teammate submitted with
    them, and a problem report of their own; besides, the teammate's and an outsider's own work."""
    volunteer, teammate, outsider = crew["volunteer"], crew["teammate"], crew["outsider"]
    alone = post(api(volunteer), activity_body(
        two_walks(), notes="张志愿独自巡河，河面干净", client_uuid=uuid.uuid4(),
        figures={"findings": "桥下有少量垃圾"}))
    shared = post(api(teammate), activity_body(
        walk_along("ZW-G07", start_m=1000, length_m=600, start_ms=ms_at("2026-05-02")), participants=[volunteer.id],
        notes="同伴写的备注：和张志愿一起", **day("2026-05-02")))
    report = post(api(volunteer), activity_body(
        kind="problem_report", point=walk_along("ZW-G07", start_m=300, length_m=0)[0][:2], **day("2026-05-03"),
        problems=[{"client_uuid": str(uuid.uuid4()), "category": "garbage", "note": "桥下漂着塑料瓶",
                   "observed_at": "2026-05-03T08:01:00+08:00"}]))
    teammates_own = post(api(teammate), activity_body(
        walk_along("ZW-G07", start_m=200, length_m=300, start_ms=ms_at("2026-05-04")), notes="李同伴独自的备注",
        **day("2026-05-04")))
    outsiders = post(api(outsider), activity_body(
        kind="cleanup", point=walk_along("ZW-G07", start_m=700, length_m=0)[0][:2], notes="赵路人的备注",
        **day("2026-05-05")))
    return {"alone": alone, "shared": shared, "report": report, "teammates_own": teammates_own, "outsiders": outsiders}


def unzip(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


# --- The person's copy ----------------------------------------------------------------------------

def test_the_export_holds_the_persons_data_and_nothing_of_anyone_else(crew, work):
    files = unzip(privacy.export_zip(crew["volunteer"]))
    assert sorted(files) == ["data.json", "tracks.gpx"]
    data = json.loads(files["data.json"])
    text = files["data.json"]

    assert data["person"]["name"] == "张志愿" and data["person"]["phone"] == "13900000001"
    assert data["person"]["login"]["username"] == crew["volunteer"].user.username
    assert [team["name"] for team in data["teams"]] == [crew["team"].name]
    by_id = {activity["id"]: activity for activity in data["activities"]}
    assert set(by_id) == {work["alone"].pk, work["shared"].pk, work["report"].pk}

    alone = by_id[work["alone"].pk]
    assert alone["notes"] == "张志愿独自巡河，河面干净" and alone["figures"]["findings"] == "桥下有少量垃圾"
    assert alone["submitted_by_me"] and alone["my_service_record"]["hours"] == "1.0"
    assert alone["started_at"] == "2026-05-01T08:00:00+08:00" and alone["has_track"]
    # The activity the teammate submitted with them is theirs too, notes included (the reading
    # rule shows it to them), but of the others only how many took part.
    shared = by_id[work["shared"].pk]
    assert shared["notes"] == "同伴写的备注：和张志愿一起"
    assert not shared["submitted_by_me"] and shared["my_service_record"]["role"] == "volunteer"
    assert shared["participant_count"] == 2
    assert by_id[work["report"].pk]["my_service_record"] is None  # a report earns no service record
    assert [(p["category"], p["note"]) for p in data["problems_reported"]] == [("garbage", "桥下漂着塑料瓶")]
    assert data["tracks"] == {"file": "tracks.gpx", "count": 2}

    for others in ("13900000002", "13900000003", "13900000004", "李同伴", "王队长", "赵路人的备注", "李同伴独自的备注",
                   crew["teammate"].user.username):
        assert others not in text, others


def test_tracks_are_gpx_with_a_trk_per_activity_a_trkseg_per_segment_and_the_fixes_times(crew, work):
    document = gpxpy.parse(privacy.tracks_gpx(crew["volunteer"]))
    assert [track.name.split(" ")[1] for track in document.tracks] == [f"#{work['alone'].pk}", f"#{work['shared'].pk}"]
    alone = document.tracks[0]
    assert len(alone.segments) == len(work["alone"].track) == 2
    for stored, segment in zip(work["alone"].track, alone.segments):
        assert len(segment.points) == len(stored.coords)
    # Every point has the time of the fix it was cleaned from; the inaccurate fix is not among them.
    fixes = [fix for fix in two_walks() if fix[3] <= 50]
    times = [point.time for segment in alone.segments for point in segment.points]
    assert times == [datetime.fromtimestamp(fix[2] / 1000, tz=dt_timezone.utc) for fix in fixes]
    first = alone.segments[0].points[0]
    assert (round(first.longitude, 6), round(first.latitude, 6)) == (round(fixes[0][0], 6), round(fixes[0][1], 6))
    assert '<gpx xmlns="http://www.topografix.com/GPX/1/1"' in privacy.tracks_gpx(crew["volunteer"])


def test_without_raw_fixes_the_tracks_have_no_times(crew, work, api):
    RawTrack.objects.filter(activity=work["alone"]).delete()
    lines = {"type": "LineString", "coordinates": [fix[:2] for fix in walk_along("ZW-G07", length_m=300)]}
    geojson = post(api(crew["volunteer"]), activity_body(track=lines, **day("2026-05-06")))
    document = gpxpy.parse(privacy.tracks_gpx(crew["volunteer"]))
    by_name = {track.name.split(" ")[1]: track for track in document.tracks}
    for activity in (work["alone"], geojson):
        points = [point for segment in by_name[f"#{activity.pk}"].segments for point in segment.points]
        assert points and all(point.time is None for point in points)


def test_the_export_page_offers_the_zip_to_the_person(client, crew, work):
    client.force_login(crew["volunteer"].user)
    page = client.get("/people/me/export/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "导出我的个人数据" in html and "下载 ZIP 文件" in html
    assert page.context["summary"]["activities"] == 3 and page.context["summary"]["tracks"] == 2
    download = client.post("/people/me/export/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith('attachment; filename="riverwatch-personal-data-')
    assert download["Cache-Control"] == "no-store"
    data = json.loads(unzip(download.content)["data.json"])
    assert data["person"]["id"] == crew["volunteer"].pk
    assert data["activities"][0]["url"] == f"http://testserver/activities/{work['alone'].pk}/"


def test_the_export_page_says_when_there_is_nothing(client, crew, django_user_model):
    client.force_login(crew["outsider"].user)
    html = client.get("/people/me/export/").content.decode()
    assert "还没有活动记录" in html and "下载 ZIP 文件" in html
    client.force_login(django_user_model.objects.create_user(username="no-person", password="pw-12345"))
    html = client.get("/people/me/export/").content.decode()
    assert "没有可导出的个人数据" in html and "下载 ZIP 文件" not in html
    assert client.post("/people/me/export/").status_code == 200  # the page again, no zip


def test_the_export_page_needs_a_login(client, district_data):
    assert client.get("/people/me/export/").status_code == 302
    assert client.post("/people/me/export/").status_code == 302


def test_staff_export_a_persons_data_from_the_admin_and_it_is_recorded(client, crew, work, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:people_person_changelist")
    response = client.post(url, {"action": "export_personal_data", "_selected_action": [crew["volunteer"].pk]})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert json.loads(unzip(response.content)["data.json"])["person"]["phone"] == "13900000001"
    assert LogEntry.objects.filter(object_id=str(crew["volunteer"].pk), change_message="导出个人数据").exists()

    both = client.post(url, {"action": "export_personal_data", "_selected_action": [crew["volunteer"].pk, crew["outsider"].pk]})
    assert sorted(unzip(both.content)) == sorted(
        f"{pk}/{name}" for pk in (crew["volunteer"].pk, crew["outsider"].pk) for name in ("data.json", "tracks.gpx"))


# --- A person who leaves ----------------------------------------------------------------------------

def api_answers(staff_client, activity_ids, person):
    """Every API answer that could name the person, as text."""
    urls = ["/api/activities/?page_size=1000", "/api/people/?page_size=500", f"/api/people/{person.pk}/",
            "/api/compliance/chiefs/?behind=0", "/api/compliance/deputies/",
            "/api/map/activities/?start=2026-01-01", "/api/map/tracks/?start=2026-01-01",
            "/api/map/problems/?start=2026-01-01"]
    urls += [f"/api/activities/{pk}/" for pk in activity_ids]
    answers = []
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        answers.append(response.content.decode())
        if response.status_code == 200:
            answers.append(json.dumps(response.json(), ensure_ascii=False))
    return "\n".join(answers)


def figures(staff_client):
    return {
        "coverage": staff_client.get("/api/coverage/?start=2026-01-01&end=2026-11-18").json(),
        "gaps": staff_client.get("/api/coverage/gaps/?end=2026-11-18").json(),
        "service_records": staff_client.get("/api/stats/service-records/?year=2026").json(),
        "visits": sorted(ReachVisit.objects.values_list("reach_id", "activity_id", "covered_fraction")),
        "records": sorted(ServiceRecord.objects.values_list("activity_id", "person_id", "role", "hours")),
    }


def photo_with_position(client, activity):
    """A photo uploaded to the activity, given the position its metadata would carry."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "JPEG")
    answer = client.post(f"/api/activities/{activity.pk}/photos/",
                         {"photo": SimpleUploadedFile("p.jpg", buffer.getvalue())}, format="multipart")
    assert answer.status_code == 201, answer.json()
    Photo.objects.filter(pk=answer.json()["id"]).update(exif_point=activity.track.centroid)
    return answer.json()["id"]


def test_anonymising_keeps_every_count_and_removes_the_person_everywhere(crew, work, api, admin_user, client):
    volunteer, staff = crew["volunteer"], api(crew["staff"])
    username = volunteer.user.username
    their_photo = photo_with_position(api(volunteer), work["alone"])
    teammates_photo = photo_with_position(api(crew["teammate"]), work["teammates_own"])
    before = figures(staff)
    assert volunteer.name in api_answers(staff, [a.pk for a in work.values()], volunteer)

    summary = people_services.anonymise_person(person=volunteer, by=admin_user)

    assert figures(staff) == before  # coverage, gaps, service-record counts, visits and records
    answers = api_answers(staff, [a.pk for a in work.values()], volunteer)
    for personal in ("张志愿", "13900000001", username):
        assert personal not in answers, personal
    assert f"已注销人员 #{volunteer.pk}" in answers  # the work stays, credited to nobody nameable
    client.force_login(admin_user)
    for page in (f"/activities/{work['alone'].pk}/", f"/people/{volunteer.pk}/", "/activities/"):
        assert "张志愿" not in client.get(page).content.decode(), page

    volunteer.refresh_from_db()
    assert (volunteer.name, volunteer.phone, volunteer.is_active) == (f"已注销人员 #{volunteer.pk}", "", False)
    assert "admin" in volunteer.note and "注销" in volunteer.note and volunteer.note == summary.note
    assert not volunteer.teams.exists() and crew["team"].members.filter(pk=crew["teammate"].pk).exists()
    user = volunteer.user
    assert (user.username, user.is_active, user.has_usable_password()) == (f"removed-{volunteer.pk}", False, False)

    assert not RawTrack.objects.filter(activity__in=[work["alone"], work["shared"], work["report"]]).exists()
    assert RawTrack.objects.filter(activity=work["teammates_own"]).exists()
    alone, shared = Activity.objects.get(pk=work["alone"].pk), Activity.objects.get(pk=work["shared"].pk)
    assert alone.track is None and alone.point is not None  # no line on the map; still a place
    assert alone.notes == f"已注销人员 #{volunteer.pk}独自巡河，河面干净"
    assert shared.track is not None  # the teammate's walk too
    assert ReachVisit.objects.filter(activity=alone).exists()
    assert Photo.objects.get(pk=their_photo).exif_point is None  # where they stood, gone
    assert Photo.objects.get(pk=teammates_photo).exif_point is not None
    assert "照片位置信息 1 条" in summary.note


def test_a_chiefs_posts_stay_for_compliance_history_and_the_open_one_ends_today(crew, api, admin_user):
    chief = crew["chief"]
    later = ChiefAssignment.objects.create(person=chief, waterway=crew["other_chief"].chief_assignments.get().waterway,
                                           level="village", since=date(2027, 1, 1))
    post(api(chief), activity_body(walk_along("ZW-G07", length_m=1200)))
    people_services.anonymise_person(person=chief, by=admin_user)
    post_ = ChiefAssignment.objects.get(person=chief)  # the post not yet begun is gone
    assert (post_.since, post_.until) == (date(2024, 1, 1), date(2026, 11, 18))
    assert not ChiefAssignment.objects.filter(pk=later.pk).exists()
    answer = json.dumps(api(crew["staff"]).get("/api/compliance/chiefs/?behind=0&start=2026-05-01&end=2026-05-31").json(),
                        ensure_ascii=False)
    assert "陈河长" not in answer and f"已注销人员 #{chief.pk}" in answer


def test_anonymising_refuses_twice_and_ones_own_record(crew, admin_user):
    people_services.anonymise_person(person=crew["outsider"], by=admin_user)
    with pytest.raises(ValidationError):
        people_services.anonymise_person(person=crew["outsider"], by=admin_user)
    with pytest.raises(ValidationError):
        people_services.anonymise_person(person=crew["teammate"], by=crew["teammate"].user)


def test_a_person_not_counted_twice_is_unnamed_on_the_activity_too(crew, api, admin_user):
    # The teammate records the same walk twice: the second time they are not counted again, by name.
    teammate = crew["teammate"]
    post(api(crew["volunteer"]), activity_body(kind="cleanup", point=walk_along("ZW-G07", length_m=0)[0][:2],
                                               participants=[teammate.id]))
    second = post(api(teammate), activity_body(kind="cleanup", point=walk_along("ZW-G07", length_m=0)[0][:2]))
    assert second.skipped_participants[0]["name"] == "李同伴"
    people_services.anonymise_person(person=teammate, by=admin_user)
    second.refresh_from_db()
    assert second.skipped_participants[0]["name"] == f"已注销人员 #{teammate.pk}"


def test_the_admin_asks_before_anonymising(client, crew, work, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:people_person_changelist")
    selected = {"action": "anonymise_selected", "_selected_action": [crew["volunteer"].pk]}
    page = client.post(url, selected)
    assert page.status_code == 200
    html = page.content.decode()
    assert "确定要注销这名人员" in html and "张志愿" in html and "确定注销" in html
    assert Person.objects.get(pk=crew["volunteer"].pk).name == "张志愿"  # nothing done yet

    done = client.post(url, {**selected, "post": "yes"}, follow=True)
    assert "已注销并匿名化 1 名人员" in done.content.decode()
    assert Person.objects.get(pk=crew["volunteer"].pk).name == f"已注销人员 #{crew['volunteer'].pk}"


def test_a_clerk_may_not_anonymise_office_staff(client, crew, django_user_model):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user(username="clerk", password="pw-12345", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_person", "change_person", "delete_person"]))
    client.force_login(clerk)
    page = client.post(reverse("admin:people_person_changelist"),
                       {"action": "anonymise_selected", "_selected_action": [crew["staff"].pk], "post": "yes"})
    assert "工作人员的档案只有超级用户可以注销" in page.content.decode()
    assert Person.objects.get(pk=crew["staff"].pk).name == "河长办小刘"


def test_the_patrols_part_is_wired_whenever_django_starts():
    """people cannot call patrols; patrols listens. Connected at start-up (the admin's autodiscovery
    connects it in PatrolsConfig.ready, patrols/receivers.py), in every process, not just in tests."""
    code = ("import django; django.setup(); from people.services import person_anonymising as signal; "
            "assert signal.has_listeners(), 'nobody deletes the tracks'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "riverwatch.settings.test"})
    assert result.returncode == 0, result.stderr


# --- Raw fixes past their retention period ------------------------------------------------------------

def test_raw_fixes_are_purged_after_the_retention_period_and_the_track_stays(crew, api, clock, settings):
    old = post(api(crew["volunteer"]), activity_body(walk_along(length_m=500)))  # 2026-05-01
    recent = post(api(crew["volunteer"]), activity_body(
        walk_along(length_m=500, start_ms=ms_at("2026-11-01")), **day("2026-11-01")))
    visits = sorted(ReachVisit.objects.values_list("reach_id", "activity_id"))
    assert settings.RAW_TRACK_RETENTION_DAYS == 1096

    clock.move_to(beijing("2029-05-01 07:59"))  # 1096 days after 2026-05-01 08:00 less a minute
    out = io.StringIO()
    call_command("purge_raw_tracks", stdout=out)
    assert RawTrack.objects.count() == 2 and "已删除 0 条原始轨迹" in out.getvalue()

    clock.move_to(beijing("2029-05-01 08:01"))
    call_command("purge_raw_tracks", "--dry-run", stdout=out)
    assert RawTrack.objects.count() == 2 and "将删除 1 条原始轨迹" in out.getvalue()
    out = io.StringIO()
    call_command("purge_raw_tracks", "--batch-size", "1", stdout=out)
    assert list(RawTrack.objects.values_list("activity_id", flat=True)) == [recent.pk]
    assert out.getvalue().count("\n") == 1 and "已删除 1 条原始轨迹" in out.getvalue() and "1096 天" in out.getvalue()
    old.refresh_from_db()
    assert old.track is not None and old.distance_m > 0
    assert sorted(ReachVisit.objects.values_list("reach_id", "activity_id")) == visits


def test_the_retention_period_is_a_setting(crew, api, settings):
    post(api(crew["volunteer"]), activity_body(walk_along(length_m=300)))  # 201 days before the frozen clock
    settings.RAW_TRACK_RETENTION_DAYS = 202
    call_command("purge_raw_tracks", stdout=io.StringIO())
    assert RawTrack.objects.count() == 1
    settings.RAW_TRACK_RETENTION_DAYS = 200
    call_command("purge_raw_tracks", stdout=io.StringIO())
    assert RawTrack.objects.count() == 0


def test_a_retention_period_that_is_not_positive_is_refused(db, settings):
    from django.core.management.base import CommandError

    settings.RAW_TRACK_RETENTION_DAYS = 0
    with pytest.raises(CommandError):
        call_command("purge_raw_tracks", stdout=io.StringIO())
