"""Problems seen at the river, stored with their activity: a standalone problem report, or
problem markers placed during a patrol; their photos; and how they read back."""

import copy
import io
import json
import re
import threading
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from patrols import selectors
from patrols.models import Activity, Photo, ServiceRecord
from problems.models import Problem
from tests.support.factories import activity_body
from tests.support.walks import walk_along

SHIZIGOU = "ZW-G07"  # 狮子沟, the crew's chief's gully


def lonlat_on(code=SHIZIGOU, metres=500.0, sideways_m=0.0):
    """A [lon, lat] metres from the source of a waterway (offset_m east of it)."""
    return [round(value, 7) for value in walk_along(code, start_m=metres, length_m=0, sideways_m=sideways_m)[0][:2]]


def problem(**values):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "category": "garbage",
        "note": "桥下漂着一片塑料瓶",
        "point": lonlat_on(),
        "observed_at": "2026-05-01T08:01:00+08:00",
    }
    body.update(values)
    return body


def report_body(*problems, **values):
    """A standalone report, as the phone's problem screen sends it: two minutes, no point of its own."""
    return activity_body(
        kind="problem_report", ended_at="2026-05-01T08:02:00+08:00",
        problems=list(problems) if problems else [problem()], **values,
    )


def patrol_with_markers():
    return activity_body(
        walk_along(length_m=600),
        problems=[
            problem(category="sewage", note="排口冒黑水", point=lonlat_on(metres=400),
                    observed_at="2026-05-01T08:05:00+08:00"),
            # The same kind of place given as a GeoJSON Point, noted earlier but sent second.
            problem(category="dumping", note="", point={"type": "Point", "coordinates": lonlat_on(metres=100)},
                    observed_at="2026-05-01T08:01:30+08:00"),
        ],
    )


def post(client, body):
    return client.post("/api/activities/", body, format="json")


def jpeg(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(client, activity_id, content, problem_uuid=None):
    form = {"photo": SimpleUploadedFile("problem.jpg", content)}
    if problem_uuid is not None:
        form["problem"] = str(problem_uuid)
    return client.post(f"/api/activities/{activity_id}/photos/", form, format="multipart")


def nothing_stored():
    return Activity.objects.count() == 0 and Problem.objects.count() == 0


# --- A standalone report ----------------------------------------------------------------

def test_a_standalone_report_is_an_activity_with_its_problem_where_it_was_seen(crew, api):
    seen = problem(category="water_quality", note="河水发黑，有死鱼", point=lonlat_on(metres=500))
    response = post(api(crew["volunteer"]), report_body(seen))
    assert response.status_code == 201, response.json()

    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.kind == Activity.Kind.PROBLEM_REPORT
    assert activity.status == Activity.Status.SUBMITTED
    # The report's own location is its problem's, snapped like any activity.
    lon, lat = activity.point.transform(settings.API_SRID, clone=True).coords
    assert [lon, lat] == pytest.approx(seen["point"], abs=1e-6)
    assert activity.location_source == Activity.LocationSource.GPS
    assert activity.waterway.code == SHIZIGOU and not activity.off_network
    # Not a service toward the target, and not measured against the patrol rules.
    assert ServiceRecord.objects.filter(activity=activity).count() == 0
    shown = response.json()["properties"]
    assert shown["counts_for_compliance"] is None and shown["compliance_note"] == ""

    stored = Problem.objects.get(activity=activity)
    assert str(stored.client_uuid) == seen["client_uuid"]
    assert stored.category == "water_quality" and stored.note == "河水发黑，有死鱼"
    assert stored.waterway.code == SHIZIGOU
    assert stored.position_m == pytest.approx(500, abs=2)

    shown = response.json()["properties"]["problems"]
    assert shown == [{
        "client_uuid": seen["client_uuid"], "category": "water_quality", "category_display": "水质异常（发黑发臭、死鱼）",
        "note": "河水发黑，有死鱼", "point": pytest.approx(seen["point"], abs=2e-6),
        "observed_at": "2026-05-01T08:01:00+08:00", "waterway_name": "狮子沟", "photo_ids": [],
    }]


def test_a_report_with_its_own_point_keeps_it_and_its_location_source(crew, api):
    body = report_body(problem(point=lonlat_on(metres=1500)), point=lonlat_on(metres=3000), location_source="map")
    activity = Activity.objects.get(pk=post(api(crew["volunteer"]), body).json()["id"])
    assert activity.point.transform(settings.API_SRID, clone=True).coords == pytest.approx(tuple(body["point"]), abs=1e-6)
    assert activity.location_source == Activity.LocationSource.MAP
    assert activity.waterway_position_m == pytest.approx(3000, abs=2)
    assert activity.problems.get().position_m == pytest.approx(1500, abs=2)


def test_a_problem_far_from_every_waterway_belongs_to_none(crew, api):
    # 1 km east of 狮子沟: about 850 m from the nearest waterway, beyond SNAP_DISTANCE_M (200 m).
    response = post(api(crew["volunteer"]), report_body(problem(point=lonlat_on(sideways_m=1000))))
    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.off_network and activity.waterway is None
    stored = activity.problems.get()
    assert stored.point is not None and stored.waterway is None and stored.position_m is None
    assert response.json()["properties"]["problems"][0]["waterway_name"] is None


def test_a_problem_without_a_point_leaves_the_report_without_a_location(crew, api):
    response = post(api(crew["volunteer"]), report_body(problem(point=None)))
    assert response.status_code == 201, response.json()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.point is None and activity.location_source == "" and not activity.off_network
    assert response.json()["properties"]["problems"][0]["point"] is None


def test_a_problem_report_is_reviewed_like_any_activity(crew, api):
    activity_id = post(api(crew["volunteer"]), report_body()).json()["id"]
    # The chief of the gully it lies on sees and verifies it, though it has no service record.
    response = api(crew["chief"]).post(f"/api/activities/{activity_id}/review/", {"decision": "verify"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["properties"]["status"] == "verified"


def test_a_problem_report_takes_no_companions(crew, api):
    body = report_body(participants=[crew["teammate"].id])
    response = post(api(crew["volunteer"]), body)
    assert response.status_code == 400
    assert "不登记参与人员" in response.json()["detail"]
    assert nothing_stored()
    # Naming oneself is harmless.
    assert post(api(crew["volunteer"]), report_body(participants=[crew["volunteer"].id])).status_code == 201


def test_problem_reports_do_not_count_toward_the_target(crew, api):
    post(api(crew["volunteer"]), activity_body(kind="cleanup", point=lonlat_on()))
    post(api(crew["teammate"]), report_body())
    stats = api(crew["staff"]).get("/api/stats/service-records/", {"year": 2026}).json()
    assert stats["total"] == 1 and stats["activities"] == 1
    assert "problem_report" not in {row["kind"] for row in stats["by_kind"]}


# --- Problem markers during a patrol, and repeats ------------------------------------------

def test_a_patrol_carries_its_problem_markers_and_a_repeat_stores_them_once(crew, api):
    client, body = api(crew["volunteer"]), patrol_with_markers()
    first = post(client, body)
    assert first.status_code == 201, first.json()
    activity = Activity.objects.get(pk=first.json()["id"])
    assert activity.kind == "patrol" and activity.track is not None
    assert ServiceRecord.objects.filter(activity=activity).count() == 1  # the patrol still counts

    # In the order they were seen, each on 狮子沟 where it was marked.
    stored = list(activity.problems.all())
    assert [p.category for p in stored] == ["dumping", "sewage"]
    assert [p.waterway.code for p in stored] == [SHIZIGOU, SHIZIGOU]
    assert [p.position_m for p in stored] == [pytest.approx(100, abs=2), pytest.approx(400, abs=2)]
    assert [p["category"] for p in first.json()["properties"]["problems"]] == ["dumping", "sewage"]

    again = post(client, body)
    assert again.status_code == 200
    assert again.json()["id"] == activity.pk
    assert Problem.objects.count() == 2
    assert sorted(str(p.client_uuid) for p in stored) == sorted(p["client_uuid"] for p in body["problems"])


def test_the_same_activity_uuid_with_other_problems_is_a_conflict(crew, api):
    client, body = api(crew["volunteer"]), patrol_with_markers()
    assert post(client, body).status_code == 201
    changed = copy.deepcopy(body)
    changed["problems"][0]["note"] = "后来改的描述"
    response = post(client, changed)
    assert response.status_code == 409
    assert "client_uuid" in response.json()["detail"]
    assert Problem.objects.get(client_uuid=body["problems"][0]["client_uuid"]).note == "排口冒黑水"

    fewer = dict(body, problems=body["problems"][:1])
    assert post(client, fewer).status_code == 409
    assert Problem.objects.count() == 2


def test_a_problem_uuid_used_by_another_activity_is_a_conflict_and_nothing_is_stored(crew, api):
    client = api(crew["volunteer"])
    taken = problem()
    assert post(client, report_body(taken)).status_code == 201

    # A new activity (its own uuid) reusing the problem's uuid, beside a fresh problem.
    response = post(client, activity_body(walk_along(length_m=300), problems=[problem(), dict(taken, note="另一个")]))
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "问题编号" in detail and taken["client_uuid"] in detail
    assert Activity.objects.count() == 1 and Problem.objects.count() == 1
    assert Problem.objects.get().note == taken["note"]


@pytest.mark.django_db(transaction=True)
def test_two_activities_racing_for_one_problem_uuid_store_it_once(crew):
    """Two phones sending different records that claim one problem: each request in its own
    thread and database connection; one wins, the other is told so."""
    shared = problem()
    bodies = [report_body(shared), activity_body(walk_along(length_m=300), problems=[shared])]
    barrier = threading.Barrier(2)
    statuses = []

    def send(body):
        client = APIClient()
        client.force_authenticate(crew["volunteer"].user)
        barrier.wait()
        try:
            statuses.append(post(client, body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409]
    assert Activity.objects.count() == 1 and Problem.objects.count() == 1


# --- Refusals -----------------------------------------------------------------------------

def _duplicate_uuids():
    twin = str(uuid.uuid4())
    return {"problems": [problem(client_uuid=twin), problem(client_uuid=twin, category="sewage")]}


def _without(key):
    return {k: v for k, v in problem().items() if k != key}


# Each change is built in the test (the points need the district's waterways in the database).
@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda: {"problems": [problem(category="swimming")]}, ["第 1 个问题", "category"]),
        (lambda: {"problems": [problem(), problem(observed_at="2026-05-01T10:03:00+08:00")]}, ["第 2 个问题", "发现时间"]),
        (lambda: {"problems": [problem(observed_at="2026-05-01T06:59:00+08:00")]}, ["第 1 个问题", "发现时间"]),
        (lambda: {"problems": [problem(observed_at="2026-05-01T08:01:00")]}, ["第 1 个问题", "observed_at", "时区"]),
        (lambda: {"problems": [problem(), _without("observed_at")]}, ["第 2 个问题", "observed_at"]),
        (lambda: {"problems": [_without("category")]}, ["第 1 个问题", "category"]),
        (lambda: {"problems": [problem(client_uuid="not-a-uuid")]}, ["第 1 个问题", "client_uuid"]),
        (lambda: {"problems": [problem(point=[200, 32.7])]}, ["第 1 个问题", "point", "经纬度超出范围"]),
        (lambda: {"problems": [problem(note="很" * 2001)]}, ["第 1 个问题", "note"]),
        (lambda: {"problems": ["塑料瓶"]}, ["第 1 个问题"]),
        (lambda: {"problems": {"category": "garbage"}}, ["problems", "列表"]),
        (lambda: {"problems": [problem() for _ in range(51)]}, ["problems", "50"]),
        (_duplicate_uuids, ["第 2 个问题", "第 1 个问题相同"]),
    ],
)
def test_bad_problems_are_refused_naming_the_problem_and_nothing_is_stored(crew, api, change, expected):
    body = activity_body(walk_along(length_m=300), **change())
    response = post(api(crew["volunteer"]), body)
    assert response.status_code == 400, response.json()
    detail = response.json()["detail"]
    for words in expected:
        assert words in detail, detail
    assert nothing_stored()


@pytest.mark.parametrize("problems", [None, []])
def test_a_problem_report_without_a_problem_is_refused(crew, api, problems):
    body = report_body()
    if problems is None:
        del body["problems"]
    else:
        body["problems"] = problems
    response = post(api(crew["volunteer"]), body)
    assert response.status_code == 400
    assert "至少要有一个问题" in response.json()["detail"]
    assert nothing_stored()


def test_a_problem_noted_within_the_hours_grace_is_accepted(crew, api):
    # The patrol ends at 09:00; a marker stamped 09:50 (a phone clock running late) still belongs to it.
    body = activity_body(walk_along(length_m=300), problems=[problem(observed_at="2026-05-01T09:50:00+08:00")])
    response = post(api(crew["volunteer"]), body)
    assert response.status_code == 201, response.json()
    assert Problem.objects.count() == 1


# --- Photos of a problem -------------------------------------------------------------------

@pytest.fixture
def report(crew, api):
    """The volunteer's standalone report with one problem: (activity id, problem uuid)."""
    seen = problem()
    response = post(api(crew["volunteer"]), report_body(seen))
    return response.json()["id"], seen["client_uuid"]


def test_a_photo_sent_with_a_problem_is_linked_to_it(crew, api, report):
    activity_id, problem_uuid = report
    response = upload(api(crew["volunteer"]), activity_id, jpeg((200, 40, 40)), problem_uuid)
    assert response.status_code == 201, response.json()
    assert response.json()["problem"] == problem_uuid
    photo = Photo.objects.get(pk=response.json()["id"])
    assert str(photo.problem.client_uuid) == problem_uuid

    detail = api(crew["volunteer"]).get(f"/api/activities/{activity_id}/").json()
    assert detail["properties"]["problems"][0]["photo_ids"] == [photo.pk]
    assert [p["id"] for p in detail["properties"]["photos"]] == [photo.pk]  # still one of the activity's photos


def test_a_photo_without_a_problem_is_linked_to_none(crew, api, report):
    activity_id, _problem_uuid = report
    response = upload(api(crew["volunteer"]), activity_id, jpeg((40, 200, 40)))
    assert response.status_code == 201
    assert response.json()["problem"] is None
    assert Photo.objects.get().problem is None


def test_a_photo_naming_an_unknown_or_another_activitys_problem_is_refused(crew, api, report):
    activity_id, _problem_uuid = report
    client = api(crew["volunteer"])
    unknown = uuid.uuid4()
    response = upload(client, activity_id, jpeg((1, 2, 3)), unknown)
    assert response.status_code == 400
    assert f"该活动没有编号为 {unknown} 的问题" in response.json()["detail"]

    elsewhere = problem()
    assert post(client, report_body(elsewhere)).status_code == 201
    response = upload(client, activity_id, jpeg((1, 2, 3)), elsewhere["client_uuid"])
    assert response.status_code == 400
    assert elsewhere["client_uuid"] in response.json()["detail"]

    assert upload(client, activity_id, jpeg((1, 2, 3)), "not-a-uuid").status_code == 400
    assert Photo.objects.count() == 0


def test_the_same_photo_sent_again_for_its_problem_is_linked_once(crew, api, report):
    activity_id, problem_uuid = report
    client, content = api(crew["volunteer"]), jpeg((90, 90, 200))
    # First without the link (say, an older app), then again with it, then once more.
    first = upload(client, activity_id, content)
    second = upload(client, activity_id, content, problem_uuid)
    third = upload(client, activity_id, content, problem_uuid)
    assert (first.status_code, second.status_code, third.status_code) == (201, 200, 200)
    assert first.json()["id"] == second.json()["id"] == third.json()["id"]
    assert second.json()["problem"] == problem_uuid
    assert Photo.objects.count() == 1
    assert str(Photo.objects.get().problem.client_uuid) == problem_uuid


def test_a_photo_linked_to_one_problem_stays_with_it(crew, api):
    first, second = problem(), problem(category="facility")
    activity_id = post(api(crew["volunteer"]), report_body(first, second)).json()["id"]
    client, content = api(crew["volunteer"]), jpeg((10, 10, 10))
    assert upload(client, activity_id, content, first["client_uuid"]).status_code == 201
    again = upload(client, activity_id, content, second["client_uuid"])
    assert again.status_code == 200 and again.json()["problem"] == first["client_uuid"]
    assert str(Photo.objects.get().problem.client_uuid) == first["client_uuid"]


# --- Reading -------------------------------------------------------------------------------

def test_the_list_carries_each_activitys_problems(crew, api):
    client = api(crew["volunteer"])
    patrol_id = post(client, patrol_with_markers()).json()["id"]
    report_id = post(client, report_body()).json()["id"]
    plain_id = post(client, activity_body(kind="cleanup", point=lonlat_on())).json()["id"]
    features = {f["id"]: f["properties"] for f in client.get("/api/activities/").json()["features"]}
    assert [p["category"] for p in features[patrol_id]["problems"]] == ["dumping", "sewage"]
    assert features[patrol_id]["problems"][0]["point"] == pytest.approx(lonlat_on(metres=100), abs=2e-6)
    assert [p["category_display"] for p in features[report_id]["problems"]] == ["垃圾漂浮物"]
    assert features[plain_id]["problems"] == []
    assert features[report_id]["kind_display"] == "问题上报"

    only_reports = client.get("/api/activities/", {"kind": "problem_report"}).json()["features"]
    assert [f["id"] for f in only_reports] == [report_id]


def test_reading_problems_costs_the_same_queries_for_one_activity_or_many(crew, api):
    client = api(crew["volunteer"])

    def queries_for_the_list():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/activities/").status_code == 200
        return len(captured)

    def add_patrol_with_a_photographed_problem():
        seen = problem()
        activity_id = post(client, activity_body(walk_along(length_m=200), problems=[seen, problem()])).json()["id"]
        assert upload(client, activity_id, jpeg((5, 5, 5)), seen["client_uuid"]).status_code == 201

    add_patrol_with_a_photographed_problem()
    one = queries_for_the_list()
    for _ in range(3):
        add_patrol_with_a_photographed_problem()
    post(client, report_body())
    assert queries_for_the_list() == one


def test_the_problems_point_is_transformed_in_the_database(crew, api):
    post(api(crew["volunteer"]), report_body())
    with CaptureQueriesContext(connection) as captured:
        activity = selectors.activity_detail(crew["volunteer"].user, Activity.objects.get().pk)
        list(activity.problems.all())
    problem_queries = [q["sql"] for q in captured if 'FROM "problems_problem"' in q["sql"]]
    assert problem_queries and "ST_Transform" in problem_queries[0]


def test_someone_who_may_not_read_the_activity_sees_neither_it_nor_its_problems(crew, api, report):
    activity_id, _problem_uuid = report
    assert api(crew["outsider"]).get(f"/api/activities/{activity_id}/").status_code == 404
    assert activity_id not in {f["id"] for f in api(crew["outsider"]).get("/api/activities/").json()["features"]}
    assert api(crew["other_chief"]).get(f"/api/activities/{activity_id}/").status_code == 404  # another gully's chief
    assert api(crew["chief"]).get(f"/api/activities/{activity_id}/").status_code == 200  # this gully's chief
    # The reporter's team leader oversees it too, although a report has no service record.
    assert api(crew["leader"]).get(f"/api/activities/{activity_id}/").status_code == 200
    assert api(crew["leader"]).post(f"/api/activities/{activity_id}/review/", {"decision": "verify"}, format="json").status_code == 200
    browser = Client()
    browser.force_login(crew["outsider"].user)
    assert browser.get(reverse("activity-detail", args=[activity_id])).status_code == 404
    assert upload(api(crew["outsider"]), activity_id, jpeg((3, 3, 3)), _problem_uuid).status_code == 404


def _page(person, activity_id):
    browser = Client()
    browser.force_login(person.user)
    response = browser.get(reverse("activity-detail", args=[activity_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_detail_page_lists_the_problems_with_their_photos_and_maps_them(crew, api):
    client, body = api(crew["volunteer"]), patrol_with_markers()
    activity_id = post(client, body).json()["id"]
    sewage_uuid = body["problems"][0]["client_uuid"]
    photo_id = upload(client, activity_id, jpeg((120, 60, 0)), sewage_uuid).json()["id"]

    page = _page(crew["volunteer"], activity_id)
    section = page[page.index('class="card problems"'):]
    section = section[:section.index("</section>")]
    assert "现场问题" in page and "(2)" in section
    # In the order seen, with category, time, waterway and note.
    assert section.index("乱堆乱倒") < section.index("污水直排")
    assert "2026-05-01 08:05" in section and "狮子沟" in section and "排口冒黑水" in section
    # The photo through the permission-checked view, never a /media/ path.
    thumbnail = reverse("activity-photo", args=[activity_id, photo_id, "thumb"])
    sewage_item = re.search(rf'data-client-uuid="{sewage_uuid}".*?</li>\s*</ul>', section, re.S).group(0)
    assert thumbnail in sewage_item
    assert "/media/" not in page
    # The map script gets the problems with their points (in the activity's feature).
    feature = json.loads(re.search(r'<script id="activity-features" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert [p["point"] is not None for p in feature["properties"]["problems"]] == [True, True]
    assert 'data-problem-label="现场问题"' in page


def test_the_detail_page_says_when_there_are_no_problems(crew, api):
    activity_id = post(api(crew["volunteer"]), activity_body(kind="cleanup", point=lonlat_on())).json()["id"]
    page = _page(crew["volunteer"], activity_id)
    assert "没有上报现场问题" in page


def test_a_standalone_reports_page_says_it_is_not_a_service_record(crew, api, report):
    activity_id, _problem_uuid = report
    page = _page(crew["volunteer"], activity_id)
    assert "问题上报" in page and "问题上报不计服务记录" in page
    assert "桥下漂着一片塑料瓶" in page
    assert 'kind-dot kind-problem_report' in page


def test_problems_are_escaped_on_the_page(crew, api):
    hostile = '<img src=x onerror="window.hacked=1">'
    activity_id = post(api(crew["volunteer"]), report_body(problem(note=hostile))).json()["id"]
    page = _page(crew["volunteer"], activity_id)
    assert hostile not in page and "&lt;img src=x" in page


def test_the_admin_shows_the_problems_read_only_and_a_review_still_saves(client, admin_user, crew, api):
    activity_id = post(api(crew["volunteer"]), report_body(problem(category="sand_mining", note="夜里有人挖沙"))).json()["id"]
    client.force_login(admin_user)
    url = reverse("admin:patrols_activity_change", args=[activity_id])
    page = client.get(url).content.decode()
    assert "现场问题" in page and "非法采砂" in page and "夜里有人挖沙" in page
    assert 'name="problems-0-note"' not in page  # shown, not editable

    # A review posted without the problem rows (a page opened before they existed) still saves.
    response = client.post(url, {
        "service_records-TOTAL_FORMS": 0, "service_records-INITIAL_FORMS": 0,
        "photos-TOTAL_FORMS": 0, "photos-INITIAL_FORMS": 0, "decision": "verify",
    })
    assert response.status_code == 302
    assert Activity.objects.get(pk=activity_id).status == Activity.Status.VERIFIED
    assert Problem.objects.get().note == "夜里有人挖沙"
