"""The activity pages as HTML: who sees what, filters, the detail's map data, photos, review,
a person's history, and the header counter toward the service-record target."""

import io
import json
import re
import uuid
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from patrols import services, submissions, views
from patrols.models import Activity, ReachVisit, ServiceRecord
from tests.support.factories import make_person, make_team
from tests.support.walks import walk_along

HOSTILE = '<img src=x onerror="window.hacked=1">'


# --- Building activities through the real service ------------------------------------

def gap_walk(code="ZW-G07", start_ms=None):
    """A walk along a waterway with the signal lost for ten minutes in the middle: two segments."""
    start_ms = start_ms if start_ms is not None else int((timezone.now() - timedelta(hours=3)).timestamp() * 1000)
    first = walk_along(code, start_m=0, length_m=400, start_ms=start_ms)
    second = walk_along(code, start_m=600, length_m=400, start_ms=first[-1][2] + 10 * 60_000)
    return first + second


def record(person, *, kind="patrol", fixes=None, point=None, participants=(), figures=None, notes="", started_at=None,
           minutes=60):
    """Stores an activity as the phone API would: built by patrols.submissions (one raw stream of
    fixes: the cleaner finds any gap), stored by patrols.services.record_activity."""
    if fixes is not None:
        started_at = datetime.fromtimestamp(fixes[0][2] / 1000, tz=dt_timezone.utc)
        ended_at = datetime.fromtimestamp(fixes[-1][2] / 1000, tz=dt_timezone.utc)
    else:
        started_at = started_at or timezone.now() - timedelta(hours=5)
        ended_at = started_at + timedelta(minutes=minutes)
    submission = submissions.build(
        client_uuid=uuid.uuid4(),
        kind=kind,
        started_at=started_at,
        ended_at=ended_at,
        points=fixes,
        point=list(point) if point is not None else None,
        location_source="gps" if (fixes is not None or point is not None) else "",
        participant_ids=[p.id for p in participants],
        figures=submissions.Figures(**(figures or {})),
        notes=notes,
    )
    activity, _created = services.record_activity(
        submitted_by=person.user, submission=submission, payload_sha256=uuid.uuid4().hex * 2
    )
    return activity


def jpeg(size=(800, 600), colour=(30, 110, 190)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def build_scene():
    """A team (volunteer, teammate, a village chief of 狮子沟, their leader), an outsider and staff.
    The volunteer's two-segment patrol on 狮子沟 with figures, an older sewer inspection with no
    location, and the outsider's cleanup at a point on another gully."""
    from people.models import ChiefAssignment
    from waterways.models import Waterway

    volunteer = make_person(name="张志愿", phone="13900000101")
    teammate = make_person(name="李同伴", phone="13900000102")
    chief = make_person(name="陈河长", role="chief", level="village", phone="13900000103")
    leader = make_person(name="王队长", phone="13900000104")
    outsider = make_person(name="赵路人", phone="13900000105")
    staff = make_person(name="河长办小刘", role="staff")
    team = make_team(members=[volunteer, teammate, chief], leaders=[leader])
    ChiefAssignment.objects.create(
        person=chief, waterway=Waterway.objects.get(code="ZW-G07"), level="village", since=date(2024, 1, 1)
    )
    patrol = record(
        volunteer, fixes=gap_walk(), participants=[teammate, chief],
        figures={"debris_kg": "3.5", "bags": 2, "findings": "岸边有建筑垃圾"}, notes="天气晴",
    )
    sewer = record(
        volunteer, kind="sewer_inspection", started_at=timezone.now() - timedelta(days=20),
        figures={"manholes_checked": 12, "outfalls_checked": 3},
    )
    point = walk_along("ZW-G01", start_m=200, length_m=0)[0][:2]
    cleanup = record(outsider, kind="cleanup", point=tuple(point), figures={"debris_kg": "8", "bags": 5})
    return {
        "volunteer": volunteer, "teammate": teammate, "chief": chief, "leader": leader, "outsider": outsider,
        "staff": staff, "team": team, "patrol": patrol, "sewer": sewer, "cleanup": cleanup,
    }


@pytest.fixture
def scene(district_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_scene()


def as_person(client, person):
    client.force_login(person.user)
    return client


def html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def embedded(page, element_id):
    """The value a template put in {{ value|json_script:element_id }}."""
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    assert match, f"no #{element_id} on the page"
    return json.loads(match.group(1))


def listed_ids(page):
    return {int(pk) for pk in re.findall(r'<tr data-id="(\d+)"', page)}


# --- Login -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, args", [
    ("activity-list", []), ("activity-detail", [1]), ("person-history", [1]), ("my-history", []),
])
def test_every_page_needs_a_login(client, db, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- List ------------------------------------------------------------------------------

def test_volunteer_sees_their_own_activities_but_not_another_volunteers(client, scene):
    page = html(as_person(client, scene["volunteer"]).get(reverse("activity-list")))
    assert listed_ids(page) == {scene["patrol"].pk, scene["sewer"].pk}
    assert {feature["id"] for feature in embedded(page, "activity-features")["features"]} == {scene["patrol"].pk, scene["sewer"].pk}
    assert "赵路人" not in page


def test_participant_and_team_leader_see_the_patrol_outsider_sees_only_their_own(client, scene):
    assert scene["patrol"].pk in listed_ids(html(as_person(client, scene["teammate"]).get(reverse("activity-list"))))
    assert scene["patrol"].pk in listed_ids(html(as_person(client, scene["leader"]).get(reverse("activity-list"))))
    assert listed_ids(html(as_person(client, scene["outsider"]).get(reverse("activity-list")))) == {scene["cleanup"].pk}
    assert as_person(client, scene["outsider"]).get(reverse("activity-detail", args=[scene["patrol"].pk])).status_code == 404


def test_filters_narrow_the_list(client, scene):
    client = as_person(client, scene["staff"])
    url = reverse("activity-list")
    everything = {scene["patrol"].pk, scene["sewer"].pk, scene["cleanup"].pk}
    assert listed_ids(html(client.get(url))) == everything
    assert listed_ids(html(client.get(url, {"kind": "cleanup"}))) == {scene["cleanup"].pk}
    assert listed_ids(html(client.get(url, {"waterway": "ZW-G07"}))) == {scene["patrol"].pk}
    ten_days_ago = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert listed_ids(html(client.get(url, {"start": ten_days_ago}))) == {scene["patrol"].pk, scene["cleanup"].pk}
    assert listed_ids(html(client.get(url, {"end": ten_days_ago}))) == {scene["sewer"].pk}
    # The form keeps what was chosen, so the next change starts from it.
    page = html(client.get(url, {"kind": "cleanup", "start": ten_days_ago}))
    assert '<option value="cleanup" selected>' in page and f'value="{ten_days_ago}"' in page

    nothing = html(client.get(url, {"status": "verified"}))
    assert listed_ids(nothing) == set()
    assert "没有符合筛选条件的活动" in nothing and "还没有活动记录" not in nothing


def test_an_impossible_date_range_is_explained(client, scene):
    page = html(as_person(client, scene["staff"]).get(reverse("activity-list"), {"start": "2026-05-10", "end": "2026-05-01"}))
    assert "结束日期不能早于开始日期" in page


def test_rows_show_beijing_time_kind_waterway_people_distance_duration_and_status(client, scene):
    patrol = scene["patrol"]
    page = html(as_person(client, scene["volunteer"]).get(reverse("activity-list")))
    row = re.search(rf'<tr data-id="{patrol.pk}">(.*?)</tr>', page, re.S).group(1)
    assert timezone.localtime(patrol.started_at).strftime("%Y-%m-%d %H:%M") in row  # Beijing time, not UTC
    assert timezone.localtime(patrol.started_at).utcoffset() == timedelta(hours=8)
    assert "巡河" in row and "狮子沟" in row and "待审核" in row
    assert f"{patrol.distance_m / 1000:.2f}" in row
    assert f">{round(patrol.duration_s / 60)}<" in row
    for person in (scene["volunteer"], scene["teammate"], scene["chief"]):
        assert f'href="{reverse("person-history", args=[person.pk])}">{person.name}</a>' in row
    assert f'href="{reverse("activity-detail", args=[patrol.pk])}"' in row


def test_empty_list_says_there_is_nothing_yet_and_what_to_do(client, district_data):
    person = make_person(name="新志愿者")
    page = html(as_person(client, person).get(reverse("activity-list")))
    assert "还没有活动记录" in page
    assert "用手机记录一次巡河" in page
    assert 'id="activity-map"' not in page  # no empty map to stare at


def test_pagination_keeps_the_filters(client, scene, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    client = as_person(client, scene["staff"])
    first = html(client.get(reverse("activity-list"), {"kind": "patrol"}))
    assert "第 1 / 1 页" not in first  # one patrol: a single page, no pager
    page_one = html(client.get(reverse("activity-list")))
    assert "第 1 / 3 页" in page_one
    assert len(listed_ids(page_one)) == 1
    next_link = re.search(r'href="\?([^"]*)" rel="next"', page_one).group(1).replace("&amp;", "&")
    assert next_link == "page=2"
    filtered = html(client.get(reverse("activity-list"), {"start": "2025-01-01"}))
    assert 'href="?start=2025-01-01&amp;page=2" rel="next"' in filtered


# --- Detail ----------------------------------------------------------------------------

def test_detail_embeds_each_track_segment_separately_and_the_visited_reaches(client, scene):
    patrol = scene["patrol"]
    page = html(as_person(client, scene["volunteer"]).get(reverse("activity-detail", args=[patrol.pk])))
    feature = embedded(page, "activity-features")
    assert feature["geometry"]["type"] == "MultiLineString"
    assert len(feature["geometry"]["coordinates"]) == 2  # the ten-minute gap is not bridged
    lon, lat = feature["geometry"]["coordinates"][0][0]
    assert 110 < lon < 111.5 and 32 < lat < 33.5  # lon/lat for the map, not storage metres

    reaches = embedded(page, "activity-reaches")
    visited = ReachVisit.objects.filter(activity=patrol).count()
    assert visited >= 6  # about 800 m walked along 100 m reaches
    assert len(reaches["features"]) == visited
    assert {f["properties"]["waterway"] for f in reaches["features"]} == {"ZW-G07"}
    assert f"{visited} 段" in page

    quality = re.search(r'<section class="card quality">(.*?)</section>', page, re.S).group(1)
    assert re.search(r"轨迹段数</dt><dd>2</dd>", quality)
    assert re.search(r"信号中断</dt><dd>1</dd>", quality)
    assert "600 秒没有定位" in quality  # the ten minutes without a fix
    assert f"<dd>{len(gap_walk())}</dd>" in quality  # fixes received


def test_detail_shows_participants_figures_notes_and_compliance(client, scene):
    patrol = scene["patrol"]
    page = html(as_person(client, scene["volunteer"]).get(reverse("activity-detail", args=[patrol.pk])))
    for person in (scene["volunteer"], scene["teammate"], scene["chief"]):
        assert f'<a href="{reverse("person-history", args=[person.pk])}">{person.name}</a>' in page
    assert "3.5 公斤" in page and "垃圾袋数</dt><dd>2</dd>" in page
    assert "岸边有建筑垃圾" in page and "天气晴" in page
    # A village chief took part; the walk was short of the rule's 30 minutes, and the page says why.
    assert "不计入考核" in page and "陈河长（村级河长）：不计入考核，时长不足 30 分钟" in page


def test_detail_of_an_activity_without_location_has_no_map(client, scene):
    page = html(as_person(client, scene["volunteer"]).get(reverse("activity-detail", args=[scene["sewer"].pk])))
    assert "这条记录没有轨迹或位置" in page
    assert 'id="activity-map"' not in page
    assert "排查检查井</dt><dd>12 个" in page


def test_photo_thumbnails_link_to_the_full_size_photo(client, scene):
    patrol = scene["patrol"]
    photo, _created, _used = services.add_photo(activity=patrol, uploaded_by=scene["volunteer"].user, data=jpeg())
    client = as_person(client, scene["volunteer"])
    page = html(client.get(reverse("activity-detail", args=[patrol.pk])))
    full = reverse("activity-photo", args=[patrol.pk, photo.pk, "full"])
    thumb = reverse("activity-photo", args=[patrol.pk, photo.pk, "thumb"])
    assert re.search(rf'<a href="{full}"[^>]*>\s*<img src="{thumb}"', page)

    response = client.get(thumb)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size[0] <= 320
    # Someone who may not see the activity cannot fetch its photos either.
    assert as_person(client, scene["outsider"]).get(thumb).status_code == 404


def test_detail_without_photos_says_so(client, scene):
    page = html(as_person(client, scene["volunteer"]).get(reverse("activity-detail", args=[scene["patrol"].pk])))
    assert "没有照片" in page and "photo-thumb" not in page


# --- Review ----------------------------------------------------------------------------

def test_review_form_for_the_team_leader_not_for_the_submitter(client, scene):
    url = reverse("activity-detail", args=[scene["patrol"].pk])
    review_url = reverse("activity-review", args=[scene["patrol"].pk])
    leader_page = html(as_person(client, scene["leader"]).get(url))
    assert f'action="{review_url}"' in leader_page
    assert 'value="verify"' in leader_page and 'value="reject"' in leader_page

    own_page = html(as_person(client, scene["volunteer"]).get(url))
    assert f'action="{review_url}"' not in own_page
    assert "不能审核自己提交或参加的活动" in own_page


def test_a_note_with_a_nul_character_is_refused_with_a_message_not_a_server_error(client, scene):
    patrol = scene["patrol"]
    client = as_person(client, scene["leader"])
    response = client.post(reverse("activity-review", args=[patrol.pk]),
                           {"decision": "reject", "note": "轨迹\x00不实"}, follow=True)
    page = html(response)
    assert "message-error" in page
    patrol.refresh_from_db()
    assert patrol.status == Activity.Status.SUBMITTED


def test_rejecting_without_a_note_shows_an_error_and_changes_nothing(client, scene):
    patrol = scene["patrol"]
    client = as_person(client, scene["leader"])
    response = client.post(reverse("activity-review", args=[patrol.pk]), {"decision": "reject", "note": "  "}, follow=True)
    page = html(response)
    assert "驳回时请写明原因" in page and "message-error" in page
    patrol.refresh_from_db()
    assert patrol.status == Activity.Status.SUBMITTED
    assert 'value="reject"' in page  # the form is still there to try again


def test_rejecting_with_a_note_shows_status_reviewer_and_note(client, scene):
    patrol = scene["patrol"]
    client = as_person(client, scene["leader"])
    page = html(client.post(reverse("activity-review", args=[patrol.pk]),
                            {"decision": "reject", "note": "轨迹与照片不符"}, follow=True))
    assert "审核结果已保存" in page
    assert '<span class="status-badge status-rejected">已驳回</span>' in page
    assert "轨迹与照片不符" in page and "王队长 于 " in page  # who reviewed, by name
    assert 'value="reject"' not in page  # reviewed: no second review
    patrol.refresh_from_db()
    assert patrol.status == Activity.Status.REJECTED


def test_verifying_marks_the_activity_verified(client, scene):
    client = as_person(client, scene["staff"])
    page = html(client.post(reverse("activity-review", args=[scene["cleanup"].pk]), {"decision": "verify"}, follow=True))
    assert '<span class="status-badge status-verified">已审核</span>' in page
    assert "message-success" in page


# --- A person's page -------------------------------------------------------------------

def test_phone_is_hidden_from_other_volunteers_and_shown_to_staff_and_self(client, scene):
    url = reverse("person-history", args=[scene["volunteer"].pk])
    assert "13900000101" not in html(as_person(client, scene["teammate"]).get(url))
    assert "13900000101" in html(as_person(client, scene["staff"]).get(url))
    assert "13900000101" in html(as_person(client, scene["volunteer"]).get(url))


def test_person_page_shows_role_teams_chief_posts_totals_and_linked_records(client, scene):
    chief = scene["chief"]
    page = html(as_person(client, scene["staff"]).get(reverse("person-history", args=[chief.pk])))
    assert "陈河长" in page and "河长 · 村级" in page
    assert scene["team"].name in page
    assert "狮子沟 · 村级河长" in page and "2024-01-01" in page and "至今" in page
    patrol = scene["patrol"]
    assert f'href="{reverse("activity-detail", args=[patrol.pk])}"' in page

    volunteer_page = html(as_person(client, scene["volunteer"]).get(reverse("person-history", args=[scene["volunteer"].pk])))
    tiles = re.search(r'<ul class="stat-tiles">(.*?)</ul>', volunteer_page, re.S).group(1)
    numbers = re.findall(r"<strong>([^<]+)</strong>", tiles)
    hours = sum(r.hours for r in ServiceRecord.objects.filter(person=scene["volunteer"]))
    assert numbers[0] == "2"  # records: the patrol and the sewer inspection
    assert numbers[1] == "0"  # none verified yet
    assert numbers[2] == f"{hours:.1f}"
    assert numbers[3] == f"{patrol.distance_m / 1000:.1f}"
    assert numbers[4] == "3.5"
    assert len(re.findall(r'class="activity-link"', volunteer_page)) == 2


def test_person_page_counts_only_what_the_viewer_may_see(client, scene):
    page = html(as_person(client, scene["outsider"]).get(reverse("person-history", args=[scene["volunteer"].pk])))
    assert "还没有服务记录" in page
    assert reverse("activity-detail", args=[scene["patrol"].pk]) not in page


def test_my_records_goes_to_my_own_page(client, scene):
    response = as_person(client, scene["volunteer"]).get(reverse("my-history"))
    assert response.status_code == 302
    assert response["Location"] == reverse("person-history", args=[scene["volunteer"].pk])


def test_a_login_without_a_person_is_told_what_to_do(client, django_user_model, district_data):
    user = django_user_model.objects.create_user(username="nobody-linked", password="pw-12345")
    client.force_login(user)
    page = html(client.get(reverse("my-history"), follow=True))
    assert "还没有关联人员档案" in page


# --- Header, language, escaping --------------------------------------------------------

def test_header_counts_service_records_toward_the_target_with_the_definition(client, scene):
    client = as_person(client, scene["volunteer"])
    assert ServiceRecord.objects.count() == 5  # patrol: 3 people; sewer inspection: 1; cleanup: 1
    page = html(client.get(reverse("activity-list")))
    counter = re.search(r'<div class="target-counter"(.*?)</details>', page, re.S).group(0)
    assert "<strong>5</strong> / 3200" in counter
    assert 'max="3200" value="5"' in counter
    assert "一人参加一次" in counter  # what a record is, right beside the number
    assert 'title="服务记录：一人参加一次' in counter
    assert f'href="{reverse("activity-list")}"' in page and f'href="{reverse("my-history")}"' in page

    # A rejected activity no longer counts.
    services.review_activity(activity=scene["patrol"], reviewer=scene["leader"].user, decision="reject", note="重复")
    assert "<strong>2</strong> / 3200" in html(client.get(reverse("home")))


def test_login_page_has_no_counter(client, db):
    assert "target-counter" not in html(client.get(reverse("login")))


def test_pages_speak_english_when_the_language_cookie_says_so(client, scene, settings):
    client = as_person(client, scene["volunteer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (reverse("activity-list"), reverse("activity-detail", args=[scene["patrol"].pk]),
                reverse("person-history", args=[scene["volunteer"].pk])):
        page = html(client.get(url))
        assert 'lang="en"' in page
        assert "Log out" in page
    list_page = html(client.get(reverse("activity-list")))
    assert "Activities" in list_page and "活动记录" not in list_page
    assert "Service records" in list_page  # the header counter too


def test_names_are_escaped_everywhere(client, scene):
    scene["teammate"].name = HOSTILE
    scene["teammate"].save()
    client = as_person(client, scene["volunteer"])
    for url in (reverse("activity-list"), reverse("activity-detail", args=[scene["patrol"].pk]),
                reverse("person-history", args=[scene["teammate"].pk])):
        page = html(client.get(url))
        assert HOSTILE not in page
        assert "&lt;img src=x onerror=" in page or "\\u003Cimg src=x onerror=" in page
