"""Open311 GeoReport v2 under /open311/v2/: every resource in JSON (validated against the Open311
project's own JSON Schemas, tests/problems/open311_schemas/) and XML (well-formed, the spec's shape),
the error list and its codes, the api_key, which problems are public and what of them, bad input,
and a real client (the `georeport` package) against the live server."""

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

import georeport
import pytest
import requests
from django.test import Client
from django.utils import timezone
from jsonschema import Draft7Validator
from knox.models import AuthToken
from PIL import Image
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from problems import services
from problems.models import Category, Problem, ResponsibleUnit, Source, State
from problems.services import Move, NewProblem
from tests.support.walks import lonlat_on
from waterways.service_area import storage_point

BASE = "/open311/v2"
SCHEMAS = Path(__file__).parent / "open311_schemas"
W3C = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})")
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "lat", "long"]
SHIZIGOU_NAME = "狮子沟"


# --- helpers ---

def schema(name):
    registry = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text("utf-8")), default_specification=DRAFT7))
        for path in SCHEMAS.glob("*.json")
    )
    return Draft7Validator(json.loads((SCHEMAS / name).read_text("utf-8")), registry=registry)


def valid(name, document):
    errors = sorted(schema(name).iter_errors(document), key=str)
    assert errors == [], [error.message for error in errors]
    return document


def get_json(client, path, expect=200, **query):
    response = client.get(BASE + path, query)
    assert response.status_code == expect, response.content[:500]
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def get_xml(client, path, expect=200, **query):
    response = client.get(BASE + path, query)
    assert response.status_code == expect, response.content[:500]
    return parse_xml(response)


def parse_xml(response):
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # raises unless well-formed


def assert_errors_json(body, code):
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"}
        assert error["code"] == code and isinstance(error["description"], str) and error["description"]


def assert_errors_xml(root, code):
    assert root.tag == "errors"
    errors = list(root)
    assert errors and all(error.tag == "error" for error in errors)
    for error in errors:
        assert [child.tag for child in error] == ["code", "description"]
        assert error.findtext("code") == str(code) and error.findtext("description")


def point_on(metres=500, code="ZW-G07"):
    return storage_point(tuple(lonlat_on(code, metres)))


def reported(*, by=None, source=Source.HOTLINE, category=Category.GARBAGE, note="河面漂着塑料瓶", metres=500,
             when=None, accepted_by=None, **extra):
    """A problem as reported; accepted by the office too when accepted_by (a staff person) is given:
    Open311 shows accepted problems only."""
    problem = services.report(by=by, source=source, new=NewProblem(
        category=category, observed_at=when or timezone.now(), note=note, point=point_on(metres)), **extra)
    if accepted_by is not None:
        act(problem, accepted_by, "accept")
        problem.refresh_from_db()
    return problem


def act(problem, person, action, **move):
    return services.act(problem=problem, user=person.user, move=Move(action=action, **move))


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def key(crew):
    return AuthToken.objects.create(user=crew["volunteer"].user)[1]


@pytest.fixture
def unit(crew):
    unit = ResponsibleUnit.objects.create(name="黄龙镇狮子沟村委会", kind=ResponsibleUnit.Kind.VILLAGE)
    unit.members.add(crew["teammate"])
    return unit


def post(client, fmt="json", **form):
    return client.post(f"{BASE}/requests.{fmt}", form)


# --- discovery, services, service definitions ---

def test_discovery_in_both_formats(client, db):
    body = get_json(client, "/discovery.json")
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production" and endpoint["formats"] == ["text/xml", "application/json"]
    assert "http://testserver/accounts/tokens/" in body["key_service"]

    root = get_xml(client, "/discovery.xml")
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    [xml_endpoint] = root.find("endpoints")
    assert xml_endpoint.tag == "endpoint" and xml_endpoint.findtext("url") == endpoint["url"]
    assert [f.text for f in xml_endpoint.find("formats")] == endpoint["formats"]
    assert all(f.tag == "format" for f in xml_endpoint.find("formats"))


def test_service_list_is_our_categories(client, db):
    body = valid("services.json", get_json(client, "/services.json"))
    assert [service["service_code"] for service in body] == Category.values
    garbage = body[0]
    assert garbage == {"service_code": "garbage", "service_name": "垃圾漂浮物", "description": "垃圾漂浮物",
                       "metadata": False, "type": "realtime", "keywords": "垃圾漂浮物, garbage", "group": "水污染"}
    water = next(service for service in body if service["service_code"] == "water_quality")
    assert water["keywords"] == "水质异常, 发黑发臭, 死鱼, water_quality"
    assert next(s for s in body if s["service_code"] == "sand_mining")["group"] == "河湖“四乱”"

    root = get_xml(client, "/services.xml")
    assert root.tag == "services" and len(root) == len(Category.values)
    for element, service in zip(root, body):
        assert element.tag == "service"
        assert [child.tag for child in element] == list(service)
        assert element.findtext("service_code") == service["service_code"]
        assert element.findtext("metadata") == "false" and element.findtext("type") == "realtime"


def test_service_definition_without_attributes(client, db):
    body = valid("service-definition.json", get_json(client, "/services/sewage.json"))
    assert body == {"service_code": "sewage", "attributes": []}
    root = get_xml(client, "/services/sewage.xml")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "sewage"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0


@pytest.mark.parametrize("code", ["potholes", "GARBAGE", "garbage.txt", "9" * 40])
def test_unknown_service_code_is_404(client, db, code):
    assert_errors_json(get_json(client, f"/services/{code}.json", expect=404), 404)
    assert_errors_xml(get_xml(client, f"/services/{code}.xml", expect=404), 404)


# --- reading requests: what is public, and what of it ---

def test_requests_in_json_and_xml(client, crew, unit):
    staff = crew["staff"]
    problem = reported(by=staff.user, source=Source.OPEN311, note="排口冒黑水 & <泡沫>", category=Category.SEWAGE,
                       metres=400)
    act(problem, staff, "accept")
    act(problem, staff, "assign", unit=unit)
    problem.refresh_from_db()

    body = valid("requests.json", get_json(client, "/requests.json"))
    [item] = body
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == str(problem.pk)
    assert item["status"] == "open" and item["status_notes"] == "已交办"
    assert item["service_code"] == "sewage" and item["service_name"] == "污水直排"
    assert item["description"] == "排口冒黑水 & <泡沫>"
    assert item["agency_responsible"] == "黄龙镇狮子沟村委会"
    assert item["address"] == SHIZIGOU_NAME
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.fullmatch(item[field]) and item[field].endswith("+08:00"), item[field]
    assert item["expected_datetime"] == f"{problem.deadline.isoformat()}T23:59:59+08:00"
    assert item["updated_datetime"] >= item["requested_datetime"]
    lon, lat = lonlat_on("ZW-G07", 400)
    assert item["long"] == pytest.approx(lon, abs=1e-6) and item["lat"] == pytest.approx(lat, abs=1e-6)
    assert valid("requests.json", get_json(client, f"/requests/{problem.pk}.json")) == [item]

    for root in (get_xml(client, "/requests.xml"), get_xml(client, f"/requests/{problem.pk}.xml")):
        assert root.tag == "service_requests"
        [element] = root
        assert element.tag == "request" and [child.tag for child in element] == REQUEST_FIELDS
        assert element.findtext("service_request_id") == str(problem.pk)
        assert element.findtext("description") == "排口冒黑水 & <泡沫>"
        assert float(element.findtext("lat")) == item["lat"] and float(element.findtext("long")) == item["long"]
        assert element.findtext("status_notes") == "已交办"


def test_an_unaccepted_public_report_a_duplicate_and_an_invalid_one_never_appear(client, crew):
    staff = crew["staff"]
    public = reported(source=Source.PUBLIC, note="群众：河里有垃圾", contact_phone="13912345678", tracking=True)
    original = reported(by=staff.user, note="原问题", accepted_by=staff)
    duplicate = reported(by=staff.user, note="重复上报")
    act(duplicate, staff, "merge", duplicate_of=original)
    invalid = reported(by=staff.user, note="无效上报")
    act(invalid, staff, "reject", note="照片与河道无关")

    def listed():
        return {item["service_request_id"] for item in get_json(client, "/requests.json")}

    assert listed() == {str(original.pk)}
    for hidden in (public, duplicate, invalid):
        assert_errors_json(get_json(client, f"/requests/{hidden.pk}.json", expect=404), 404)
        assert_errors_xml(get_xml(client, f"/requests/{hidden.pk}.xml", expect=404), 404)
        assert get_json(client, "/requests.json", service_request_id=str(hidden.pk)) == []

    act(public, staff, "accept")
    assert listed() == {str(original.pk), str(public.pk)}


def test_unaccepted_reports_from_every_source_stay_out_until_the_office_accepts_them(client, crew, key):
    staff = crew["staff"]
    hotline = reported(by=staff.user, note="热线：桥下有垃圾")
    patrol = reported(by=crew["volunteer"].user, source=Source.PHONE, metres=700)
    lon, lat = lonlat_on("ZW-G07", 900)
    posted = post(client, service_code="garbage", api_key=key, description="外部系统转来", lat=lat, long=lon)
    assert posted.status_code == 201, posted.content
    posted = Problem.objects.get(pk=posted.json()[0]["service_request_id"])

    def listed():
        return {item["service_request_id"] for item in get_json(client, "/requests.json")}

    assert listed() == set()
    for problem in (hotline, patrol, posted):
        assert_errors_json(get_json(client, f"/requests/{problem.pk}.json", expect=404), 404)
    for problem in (hotline, patrol, posted):
        act(problem, staff, "accept")
    assert listed() == {str(hotline.pk), str(patrol.pk), str(posted.pk)}


def test_what_was_written_for_the_office_and_where_a_volunteer_was_stay_coarse(client, crew):
    staff = crew["staff"]
    hotline = reported(by=staff.user, note="张三来电：桥下有垃圾", accepted_by=staff)
    public = reported(source=Source.PUBLIC, note="桥下有垃圾", accepted_by=staff)
    when = timezone.make_aware(datetime(2026, 11, 17, 15, 47, 31))
    found = reported(by=crew["volunteer"].user, source=Source.PATROL, metres=612, when=when, accepted_by=staff)

    def item(problem):
        return valid("requests.json", get_json(client, f"/requests/{problem.pk}.json"))[0]

    assert item(hotline)["description"] is None
    assert item(public)["description"] == "桥下有垃圾"
    shown = item(found)
    assert shown["requested_datetime"] == "2026-11-17T15:00:00+08:00"
    lon, lat = lonlat_on("ZW-G07", 612)
    assert shown["lat"] == round(lat, 3) and shown["long"] == round(lon, 3)
    # Nor can a window narrowed inside the hour find the minute: the time is filtered as published.
    def found_between(start, end):
        listed = get_json(client, "/requests.json", start_date=start, end_date=end, service_code="garbage")
        return str(found.pk) in {item["service_request_id"] for item in listed}

    assert not found_between("2026-11-17T15:47:00+08:00", "2026-11-17T15:48:00+08:00")
    assert found_between("2026-11-17T15:00:00+08:00", "2026-11-17T15:00:00+08:00")
    assert item(public)["lat"] == pytest.approx(lonlat_on("ZW-G07", 500)[1], abs=1e-6)


def test_no_personal_data_reaches_an_answer(client, crew, unit):
    staff, volunteer = crew["staff"], crew["volunteer"]
    public = reported(source=Source.PUBLIC, contact_phone="13912345678", tracking=True)
    act(public, staff, "accept", note="")
    act(public, staff, "assign", unit=unit)
    act(public, staff, "comment", note="已电话联系张志愿核实")
    mine = reported(by=volunteer.user, source=Source.PHONE, accepted_by=staff)
    public.refresh_from_db()
    answers = b"".join(client.get(f"{BASE}/requests.{fmt}").content for fmt in ("json", "xml"))
    answers += b"".join(client.get(f"{BASE}/requests/{pk}.{fmt}").content
                        for pk in (public.pk, mine.pk) for fmt in ("json", "xml"))
    text = answers.decode("utf-8")
    assert str(public.pk) in text and str(mine.pk) in text
    for secret in ("13912345678", public.tracking_code, volunteer.name, staff.name, volunteer.user.username,
                   "已电话联系", "media_url", "account_id", "reporter", "phone"):
        assert secret not in text


def test_status_follows_the_problem_to_its_end(client, crew, unit):
    staff, member = crew["staff"], crew["teammate"]
    fixed = reported(by=staff.user)
    act(fixed, staff, "accept")
    act(fixed, staff, "assign", unit=unit)
    act(fixed, member, "start")
    act(fixed, member, "resolve", note="已打捞", photos=(jpeg(),))
    assert get_json(client, f"/requests/{fixed.pk}.json")[0]["status_notes"] == "已办结待核验"
    act(fixed, staff, "verify")
    not_fixed = reported(by=staff.user, metres=900)
    act(not_fixed, staff, "accept")
    act(not_fixed, staff, "assign", unit=unit)
    act(not_fixed, staff, "close_not_fixed", note="属于水利局", reason="not_ours")

    fixed.refresh_from_db()
    [item] = get_json(client, f"/requests/{fixed.pk}.json")
    assert (item["status"], item["status_notes"]) == ("closed", "已关闭：已解决")
    assert item["updated_datetime"] == timezone.localtime(fixed.closed_at).isoformat(timespec="seconds")
    [item] = get_json(client, f"/requests/{not_fixed.pk}.json")
    assert (item["status"], item["status_notes"]) == ("closed", "已关闭：关闭未解决（不属于职责范围）")
    assert [i["service_request_id"] for i in get_json(client, "/requests.json", status="closed")] == \
           [str(not_fixed.pk), str(fixed.pk)]
    assert get_json(client, "/requests.json", status="open") == []
    assert len(get_json(client, "/requests.json", status="open,closed")) == 2
    closed_xml = get_xml(client, f"/requests/{fixed.pk}.xml")
    assert closed_xml.find("request").findtext("status") == "closed"


def test_an_overdue_problem_says_so(client, crew, unit, clock):
    staff = crew["staff"]
    problem = reported(by=staff.user)
    act(problem, staff, "accept")
    act(problem, staff, "assign", unit=unit)
    problem.refresh_from_db()
    clock.move_to(timezone.make_aware(datetime.combine(problem.deadline + timedelta(days=1), datetime.min.time()))
                  + timedelta(hours=9))
    [item] = get_json(client, f"/requests/{problem.pk}.json")
    assert (item["status"], item["status_notes"]) == ("open", "已交办（已逾期）")


def test_a_problem_with_no_point_of_its_own_shows_no_position(client, crew):
    problem = services.report(by=crew["staff"].user, source=Source.HOTLINE, new=NewProblem(
        category=Category.OTHER, observed_at=timezone.now(), note="电话反映，位置不详"))
    act(problem, crew["staff"], "accept")
    [item] = valid("requests.json", get_json(client, f"/requests/{problem.pk}.json"))
    assert item["lat"] is None and item["long"] is None and item["address"] is None
    assert item["agency_responsible"] is None and item["expected_datetime"] is None
    element = get_xml(client, f"/requests/{problem.pk}.xml").find("request")
    assert element.find("lat").text is None and element.find("address").text is None


def test_text_xml_cannot_carry_is_dropped_and_the_rest_escaped(client, crew):
    problem = reported(source=Source.PUBLIC, accepted_by=crew["staff"], note="垃圾\x01\x0b\x1f堆积 ]]> <b>&amp;</b> \ufffe 😀")
    element = get_xml(client, f"/requests/{problem.pk}.xml").find("request")
    assert element.findtext("description") == "垃圾堆积 ]]> <b>&amp;</b>  😀"
    assert get_json(client, f"/requests/{problem.pk}.json")[0]["description"] == problem.note


# --- the query of GET requests ---

def test_filters_window_and_ids(client, crew):
    staff = crew["staff"]
    now = timezone.now()
    recent_garbage = reported(by=staff.user, when=now - timedelta(days=1), accepted_by=staff)
    recent_sewage = reported(by=staff.user, category=Category.SEWAGE, when=now - timedelta(days=10), metres=700,
                             accepted_by=staff)
    old = reported(by=staff.user, when=now - timedelta(days=120), metres=900, accepted_by=staff)

    def ids(**query):
        return [item["service_request_id"] for item in get_json(client, "/requests.json", **query)]

    # By default the most recent 90 days, newest first.
    assert ids() == [str(recent_garbage.pk), str(recent_sewage.pk)]
    assert ids(service_code="sewage") == [str(recent_sewage.pk)]
    assert ids(service_code="sewage,garbage") == ids()
    assert ids(service_code="") == ids()  # empty is absent
    start = (now - timedelta(days=130)).isoformat()
    assert ids(start_date=start) == [str(old.pk)]  # start alone: 90 days from it
    assert ids(start_date=start, end_date=(now - timedelta(days=100)).isoformat()) == [str(old.pk)]
    assert ids(end_date=(now - timedelta(days=5)).isoformat()) == [str(recent_sewage.pk)]
    z = (now - timedelta(days=2)).astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(start_date=z) == [str(recent_garbage.pk)]
    # Ids override every other argument, in the order asked; unknown ids are left out.
    assert ids(service_request_id=f"{old.pk},{recent_garbage.pk},999999", service_code="sewage") == \
           [str(old.pk), str(recent_garbage.pk)]
    both = client.get(f"{BASE}/requests.json?service_request_id={old.pk}&service_request_id={recent_sewage.pk}")
    assert [item["service_request_id"] for item in both.json()] == [str(old.pk), str(recent_sewage.pk)]
    root = get_xml(client, "/requests.xml", service_code="garbage")
    assert [element.findtext("service_request_id") for element in root] == [str(recent_garbage.pk)]


def test_at_most_1000_requests_newest_first(client, crew):
    now = timezone.now()
    Problem.objects.bulk_create([
        Problem(category=Category.GARBAGE, source=Source.HOTLINE, observed_at=now - timedelta(minutes=minute),
                accepted_at=now, state=State.ACCEPTED, point=point_on(500))
        for minute in range(1, 1006)
    ])
    body = get_json(client, "/requests.json")
    assert len(body) == 1000
    newest = Problem.objects.order_by("-observed_at").values_list("pk", flat=True)[:1000]
    assert [item["service_request_id"] for item in body] == [str(pk) for pk in newest]


@pytest.mark.parametrize("query", [
    {"start_date": "2026-11-01"},  # no time, no zone
    {"start_date": "2026-11-01T08:00:00"},  # no zone
    {"start_date": "2026-02-30T00:00:00Z"},  # no such day
    {"start_date": "2026-11-01T24:30:00Z"},
    {"start_date": "2026-11-01T08:00:00+25:00"},
    {"start_date": "1999-12-31T00:00:00Z"},
    {"end_date": "9999-12-31T23:59:59Z"},
    {"start_date": "0000-01-01T00:00:00Z"},
    {"start_date": "2026-11-01T08:00:00.1234567Z"},
    {"start_date": "yesterday"},
    {"start_date": "2026-11-01T08:00:00Z", "end_date": "2026-10-01T08:00:00Z"},  # ends before it starts
    {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},  # more than 90 days
    {"status": "pending"},
    {"status": "open,reported"},
    {"service_request_id": "12a"},
    {"service_request_id": "-3"},
    {"service_request_id": "0"},
    {"service_request_id": "9" * 30},  # beyond bigint
    {"service_request_id": "²"},
    {"service_request_id": ",".join(str(n) for n in range(1, 1002))},
])
def test_bad_queries_are_400_in_the_spec_error_format(client, db, query):
    assert_errors_json(get_json(client, "/requests.json", expect=400, **query), 400)
    assert_errors_xml(get_xml(client, "/requests.xml", expect=400, **query), 400)


def test_unknown_service_code_filter_is_404(client, db):
    assert_errors_json(get_json(client, "/requests.json", expect=404, service_code="garbage,potholes"), 404)
    assert_errors_xml(get_xml(client, "/requests.xml", expect=404, service_code="potholes"), 404)


@pytest.mark.parametrize("request_id", ["0", "abc", "9" * 25, "1e3", "-1", "12345"])
def test_unknown_request_is_404(client, db, request_id):
    assert_errors_json(get_json(client, f"/requests/{request_id}.json", expect=404), 404)
    assert_errors_xml(get_xml(client, f"/requests/{request_id}.xml", expect=404), 404)


@pytest.mark.parametrize("path", ["/", "/requests.html", "/requests", "/tokens/123.xml", "/services/a/b.xml"])
def test_other_addresses_are_404_in_xml(client, db, path):
    assert_errors_xml(get_xml(client, path, expect=404), 404)


def test_other_addresses_ending_in_json_are_404_in_json(client, db):
    assert_errors_json(get_json(client, "/tokens/123.json", expect=404), 404)


def test_other_methods_are_refused_in_the_spec_format(client, db):
    response = client.put(f"{BASE}/requests.json")
    assert response.status_code == 405 and "POST" in response["Allow"]
    assert_errors_json(response.json(), 405)
    response = client.post(f"{BASE}/services.xml")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    assert_errors_xml(parse_xml(response), 405)
    assert client.head(f"{BASE}/services.xml").status_code == 200


def test_unstorable_text_in_the_address_is_refused_before_the_view(client, db):
    # riverwatch.middleware answers these (a 400 in plain text, outside the spec's format): never a 500.
    for query in ("service_code=%00", "start_date=2026-11-01T00:00:00Z%00", "%00=1"):
        assert client.get(f"{BASE}/requests.json?{query}").status_code == 400
    assert client.get(f"{BASE}/requests/%00.xml").status_code == 400
    # Bytes that are not UTF-8 are read as U+FFFD: an unknown code or a bad date, not a crash.
    assert client.get(f"{BASE}/requests.json?service_code=%ED%A0%80").status_code == 404
    assert client.get(f"{BASE}/requests.json?start_date=%ED%A0%80").status_code == 400
    assert client.get(f"{BASE}/services/%ED%A0%80.json").status_code == 404


# --- creating a request ---

def test_post_creates_a_problem_through_the_services(client, crew, key):
    lon, lat = lonlat_on("ZW-G07", 600)
    response = post(client, api_key=key, service_code="dumping", lat=f"{lat:.7f}", long=f"{lon:.7f}",
                    description="河岸堆放建筑垃圾", email="someone@example.com", first_name="三", last_name="张",
                    phone="13800000000", media_url="http://example.com/a.jpg", address_string="狮子沟桥头")
    assert response.status_code == 201, response.content
    [answer] = response.json()
    assert set(answer) == {"service_request_id", "service_notice"}  # realtime: an id, no token
    problem = Problem.objects.get(pk=int(answer["service_request_id"]))
    assert (problem.source, problem.category, problem.note) == (Source.OPEN311, "dumping", "河岸堆放建筑垃圾")
    assert problem.reported_by == crew["volunteer"].user and problem.contact_phone == ""
    assert problem.waterway.name == SHIZIGOU_NAME and problem.events.get().action == "report"
    assert problem.point.distance(point_on(600)) < 0.05
    get_json(client, f"/requests/{problem.pk}.json", expect=404)  # not public before the office accepts it
    act(problem, crew["staff"], "accept")
    [item] = valid("requests.json", get_json(client, f"/requests/{problem.pk}.json"))
    assert item["status"] == "open" and item["status_notes"] == "已受理"
    assert "13800000000" not in json.dumps(item, ensure_ascii=False)


def test_post_answers_in_xml(client, crew, key):
    lon, lat = lonlat_on("ZW-G07", 600)
    response = post(client, "xml", api_key=key, service_code="garbage", lat=lat, long=lon)
    assert response.status_code == 201
    root = parse_xml(response)
    assert root.tag == "service_requests"
    [element] = root
    assert element.tag == "request" and [child.tag for child in element] == ["service_request_id", "service_notice"]
    assert Problem.objects.filter(pk=int(element.findtext("service_request_id")), source=Source.OPEN311).exists()


def test_post_needs_no_csrf_token(crew, key):
    lon, lat = lonlat_on("ZW-G07", 600)
    machine = Client(enforce_csrf_checks=True)
    response = machine.post(f"{BASE}/requests.json", {"api_key": key, "service_code": "garbage", "lat": lat, "long": lon})
    assert response.status_code == 201


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_without_a_valid_api_key_is_403(client, crew, key, fmt):
    lon, lat = lonlat_on("ZW-G07", 600)
    place = {"service_code": "garbage", "lat": lat, "long": lon}
    revoked_instance, revoked = AuthToken.objects.create(user=crew["outsider"].user)
    revoked_instance.delete()
    expired_instance, expired = AuthToken.objects.create(user=crew["leader"].user, expiry=timedelta(seconds=-1))
    inactive_user = crew["teammate"].user
    _instance, inactive = AuthToken.objects.create(user=inactive_user)
    inactive_user.is_active = False
    inactive_user.save()
    for api_key in (None, "", "   ", "wrong", key[:-1] + ("0" if key[-1] != "0" else "1"), key + "0", revoked, expired,
                    inactive, "a\x00b", "令牌"):
        form = dict(place) if api_key is None else {**place, "api_key": api_key}
        response = post(client, fmt, **form)
        assert response.status_code == 403, (api_key, response.content)
        if fmt == "json":
            assert_errors_json(response.json(), 403)
        else:
            assert_errors_xml(parse_xml(response), 403)
    # A key in the address is not taken (addresses end up in logs), and the answer says why.
    response = client.post(f"{BASE}/requests.json?api_key={key}", place)
    assert response.status_code == 403 and "正文" in response.json()[0]["description"]
    # The key is checked before anything else: no hints about the form to a stranger.
    assert post(client, fmt, api_key="wrong").status_code == 403
    assert not Problem.objects.exists()


@pytest.mark.parametrize("form, status", [
    ({}, 400),  # no service_code
    ({"service_code": "potholes"}, 404),
    ({"service_code": "garbage"}, 400),  # no position
    ({"service_code": "garbage", "address_string": "狮子沟桥头"}, 400),
    ({"service_code": "garbage", "address_id": "123"}, 400),
    ({"service_code": "garbage", "lat": "32.6"}, 400),
    ({"service_code": "garbage", "long": "110.7"}, 400),
    ({"service_code": "garbage", "lat": "40.0", "long": "116.4"}, 400),  # Beijing: outside the district
    ({"service_code": "garbage", "lat": "0", "long": "0"}, 400),
    ({"service_code": "garbage", "lat": "91", "long": "110.7"}, 400),
    ({"service_code": "garbage", "lat": "1e999", "long": "110.7"}, 400),
    ({"service_code": "garbage", "lat": "nan", "long": "110.7"}, 400),
    ({"service_code": "garbage", "lat": "inf", "long": "110.7"}, 400),
    ({"service_code": "garbage", "lat": "3_2.6", "long": "110.7"}, 400),
    ({"service_code": "garbage", "lat": "9" * 400, "long": "110.7"}, 400),
    ({"service_code": "garbage", "lat": "32,6", "long": "110.7"}, 400),
    ({"service_code": "garbage\x00", "lat": "32.6", "long": "110.7"}, 400),
])
def test_bad_posts_are_refused_in_the_spec_format(client, crew, key, form, status):
    response = post(client, api_key=key, **form)
    assert response.status_code == status, response.content
    assert_errors_json(response.json(), status)
    response = post(client, "xml", api_key=key, **form)
    assert response.status_code == status
    assert_errors_xml(parse_xml(response), status)
    assert not Problem.objects.exists()


def test_a_description_must_be_storable_and_at_most_4000_characters(client, crew, key):
    lon, lat = lonlat_on("ZW-G07", 600)
    place = {"api_key": key, "service_code": "garbage", "lat": lat, "long": lon}
    for description in ("有\x00空字符", "长" * 4001):
        response = post(client, **place, description=description)
        assert response.status_code == 400
        assert_errors_json(response.json(), 400)
    assert post(client, **place, description="长" * 4000).status_code == 201
    assert Problem.objects.count() == 1


def test_too_many_form_fields_is_400_in_the_spec_format(client, crew, key, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client.post(f"{BASE}/requests.xml", "&".join(f"f{n}=1" for n in range(20)) + f"&api_key={key}",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert_errors_xml(parse_xml(response), 400)


# --- a real client ---

@pytest.mark.django_db(transaction=True)
def test_the_georeport_client_reads_every_resource(live_server, crew):
    """The `georeport` package (PyPI) against the live server: it reads; it has no call for POST,
    so a new request is posted with plain `requests` as the spec shows, then read back with it."""
    staff = crew["staff"]
    problem = reported(by=staff.user, source=Source.OPEN311, category=Category.SEWAGE, note="排口冒黑水",
                       accepted_by=staff)
    key = AuthToken.objects.create(user=crew["volunteer"].user)[1]
    lon, lat = lonlat_on("ZW-G07", 650)
    created = requests.post(f"{live_server.url}{BASE}/requests.json",
                            data={"api_key": key, "service_code": "garbage", "lat": lat, "long": lon,
                                  "description": "水面漂浮物"}, timeout=30)
    assert created.status_code == 201, created.text
    new_id = created.json()[0]["service_request_id"]
    act(Problem.objects.get(pk=new_id), staff, "accept")  # shown once the office accepted it

    for output_format in ("json", "xml"):
        client = georeport.GeoReport(f"{live_server.url}{BASE}", output_format=output_format)
        services_listed = client.get_service_list()
        assert [service["service_code"] for service in services_listed] == Category.values
        assert client.get_service_definition("sewage")["service_code"] == "sewage"
        listed = client.get_service_requests()
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one element is no list
        assert {item["service_request_id"] for item in listed} == {str(problem.pk), new_id}
        one = client.get_service_request(str(problem.pk))
        assert one["service_code"] == "sewage" and one["description"] == "排口冒黑水"
        assert one["status"] == "open" and one["address"] == SHIZIGOU_NAME
        assert float(one["lat"]) == pytest.approx(lonlat_on("ZW-G07", 500)[1], abs=1e-6)
        chosen = client.get_service_requests(service_request_id=new_id)
        chosen = chosen if isinstance(chosen, dict) else chosen[0]
        assert chosen["service_request_id"] == new_id and chosen["service_code"] == "garbage"
        assert client.get_service_requests(service_code="garbage", status="open")
        with pytest.raises(requests.HTTPError) as refused:
            client.get_service_request("999999999")
        assert refused.value.response.status_code == 404
