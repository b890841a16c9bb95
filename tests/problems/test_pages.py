"""The office pages of the problem list: the list with its counts, filters, map data and exports, a
problem's page and the moves made through its buttons, my tasks, the office's new-problem form, and
who reads what. Data is built through problems.services, as the pages themselves write."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from problems import services
from problems.models import (
    Action,
    Category,
    Ending,
    Problem,
    ProblemEvent,
    ProblemPhoto,
    ResponsibleUnit,
    Source,
    State,
)
from tests.support.factories import make_person
from tests.support.geo import to_lonlat
from waterways.models import Waterway

pytestmark = pytest.mark.django_db

LIST = reverse("problem-list")


def jpeg(colour=(30, 110, 190)):
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def point_on(code, fraction=0.5):
    """A point (storage SRID) on a waterway, `fraction` of the way along it."""
    return Waterway.objects.get(code=code).geom.interpolate_normalized(fraction)


def file_report(by, *, category=Category.GARBAGE, source=Source.HOTLINE, code="ZW-G07", fraction=0.5, note="桥下垃圾",
                observed=None, **extra):
    new = services.NewProblem(category=category, note=note, point=point_on(code, fraction),
                              observed_at=observed or timezone.now() - timedelta(hours=2))
    return services.report(by=by, source=source, new=new, **extra)


def move(problem, person, action, **fields):
    return services.act(problem=problem, user=person.user, move=services.Move(action=action, **fields))


@pytest.fixture
def office(crew):
    """The crew, a town unit with the volunteer's teammate as its member, and three problems:
    one just reported, one assigned to the unit, one fixed and closed."""
    unit = ResponsibleUnit.objects.create(name="黄龙镇", kind=ResponsibleUnit.Kind.TOWN)
    unit.members.add(crew["teammate"])
    staff = crew["staff"]
    reported = file_report(staff.user, note="热线：河面漂浮垃圾")
    assigned = file_report(staff.user, category=Category.SEWAGE, code="ZW-G01", note="排口冒黑水")
    move(assigned, staff, Action.ACCEPT)
    move(assigned, staff, Action.ASSIGN, unit=unit, deadline=timezone.localdate() + timedelta(days=3))
    fixed = file_report(staff.user, category=Category.DUMPING, source=Source.INSPECTION, fraction=0.2, note="建筑垃圾")
    move(fixed, staff, Action.ACCEPT)
    move(fixed, staff, Action.ASSIGN, unit=unit)
    move(fixed, crew["teammate"], Action.RESOLVE, note="已清运", photos=(jpeg(),))
    move(fixed, staff, Action.VERIFY)
    for problem in (reported, assigned, fixed):
        problem.refresh_from_db()
    return {**crew, "unit": unit, "reported": reported, "assigned": assigned, "fixed": fixed}


def login(client, person):
    client.force_login(person.user)
    return client


def ids(response):
    return [row.pk for row in response.context["rows"]]


# --- the list ---

def test_the_list_counts_every_state_and_each_count_filters(client, office):
    login(client, office["staff"])
    response = client.get(LIST)
    assert response.status_code == 200
    counts = {item["state"]: item["count"] for item in response.context["counts"]["states"]}
    assert counts == {"reported": 1, "accepted": 0, "assigned": 1, "in_progress": 0, "resolved": 0, "closed": 1}
    assert response.context["counts"]["total"] == 3
    html = response.content.decode()
    assert "问题清单" in html and "逾期" in html
    # Each count links to the list filtered by it, and the link works.
    assigned_link = next(item["url"] for item in response.context["counts"]["states"] if item["state"] == "assigned")
    assert ids(client.get(LIST + assigned_link)) == [office["assigned"].pk]
    # Fixed and closed-not-fixed never look alike: the ending shows.
    assert "ending-fixed" in html and "已解决" in html
    # Days left from the deadline three days away.
    assert "剩 3 天" in html


@pytest.mark.parametrize("query, expected", [
    ("category=sewage", ["assigned"]),
    ("source=inspection", ["fixed"]),
    ("waterway=ZW-G01", ["assigned"]),
    ("state=closed", ["fixed"]),
    ("state=reported,assigned", ["assigned", "reported"]),
    ("state=reported&state=assigned", ["assigned", "reported"]),
    ("supervised=1", []),
    ("overdue=0", ["assigned", "fixed", "reported"]),
])
def test_filters(client, office, query, expected):
    login(client, office["staff"])
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert sorted(ids(response)) == sorted(office[name].pk for name in expected)
    if not expected:
        assert "没有符合条件的问题" in response.content.decode()


def test_unit_and_period_filters(client, office):
    login(client, office["staff"])
    assert sorted(ids(client.get(f"{LIST}?unit={office['unit'].pk}"))) == sorted([office["assigned"].pk, office["fixed"].pk])
    today = timezone.localdate()
    assert len(ids(client.get(f"{LIST}?start={today - timedelta(days=1)}&end={today}"))) == 3
    assert ids(client.get(f"{LIST}?start={today + timedelta(days=1)}")) == []


def test_overdue_rows_say_so_in_red_and_supervised_come_first(client, office, clock):
    staff = office["staff"]
    move(office["assigned"], staff, Action.SUPERVISE, note="尽快处理", deadline=timezone.localdate() + timedelta(days=1))
    other = file_report(staff.user, category=Category.FACILITY, fraction=0.8)
    move(other, staff, Action.ACCEPT)
    move(other, staff, Action.ASSIGN, unit=office["unit"], deadline=timezone.localdate())
    clock.move_to(timezone.now() + timedelta(days=3))
    login(client, staff)
    response = client.get(LIST)
    assert ids(response)[0] == office["assigned"].pk  # supervised heads the list
    assert response.context["counts"]["overdue"] == 2
    assert response.context["counts"]["supervised"] == 1
    html = response.content.decode()
    assert "督办" in html and '<span class="days overdue">逾期 3 天</span>' in html
    assert sorted(ids(client.get(f"{LIST}?overdue=1"))) == sorted([office["assigned"].pk, other.pk])
    assert ids(client.get(f"{LIST}?supervised=1")) == [office["assigned"].pk]
    states = {point["id"]: point["state"] for point in response.context["map_data"]["points"]}
    assert states == {office["assigned"].pk: "overdue", other.pk: "overdue", office["reported"].pk: "open",
                      office["fixed"].pk: "fixed"}


@pytest.mark.parametrize("query, message", [
    ("state=nope", "状态的值“nope”无效"),
    ("start=2026-13-01", "开始日期格式应为 YYYY-MM-DD"),
    ("unit=abc", "责任单位应为"),
    ("waterway=ZW-NOPE", "没有这条河道"),
    ("overdue=maybe", "逾期应为 1 或 0"),
    ("start=2026-05-02&end=2026-05-01", "结束日期不能早于开始日期"),
])
def test_bad_parameters_are_a_400_page_in_chinese(client, office, query, message):
    login(client, office["staff"])
    for url in (LIST, reverse("problem-export-csv"), reverse("problem-export-xlsx")):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert message in response.content.decode()


def test_a_volunteer_sees_only_their_own_problems(client, office):
    mine = file_report(office["volunteer"].user, source=Source.HOTLINE, fraction=0.6)
    login(client, office["volunteer"])
    response = client.get(LIST)
    assert ids(response) == [mine.pk]
    assert response.context["counts"]["total"] == 1
    assert client.get(reverse("problem-detail", args=[office["reported"].pk])).status_code == 404
    assert client.get(reverse("problem-detail", args=[mine.pk])).status_code == 200
    # Exports follow the same rule.
    rows = list(csv.reader(io.StringIO(client.get(reverse("problem-export-csv")).content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [str(mine.pk)]
    # A unit member reads the unit's problems.
    login(client, office["teammate"])
    assert sorted(ids(client.get(LIST))) == sorted([office["assigned"].pk, office["fixed"].pk])


def test_signed_out_people_are_sent_to_log_in(client, office):
    for url in (LIST, reverse("problem-mine"), reverse("problem-detail", args=[office["reported"].pk]),
                reverse("problem-export-csv"), reverse("problem-new")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- exports ---

def test_csv_export_has_a_bom_every_column_and_no_formulas(client, office):
    hostile = file_report(office["staff"].user, fraction=0.7, note='=HYPERLINK("http://evil.example","点我")')
    login(client, office["staff"])
    response = client.get(f"{reverse('problem-export-csv')}?category=garbage")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    head = rows[0]
    for column in ("编号", "问题类别", "河流/支沟", "责任单位", "状态", "结果", "未解决原因", "来源", "发现日期", "办理期限",
                   "剩余天数", "逾期天数", "督办", "问题描述", "经度", "纬度", "重新打开次数"):
        assert column in head
    by_id = {row[0]: dict(zip(head, row)) for row in rows[1:]}
    assert set(by_id) == {str(office["reported"].pk), str(hostile.pk)}
    assert by_id[str(hostile.pk)]["问题描述"] == "'=HYPERLINK(\"http://evil.example\",\"点我\")"
    assert by_id[str(office["reported"].pk)]["问题描述"] == "热线：河面漂浮垃圾"
    lon, lat = float(by_id[str(hostile.pk)]["经度"]), float(by_id[str(hostile.pk)]["纬度"])
    assert 110 < lon < 111.5 and 32 < lat < 33.5
    assert by_id[str(hostile.pk)]["河流/支沟"] == "狮子沟"


def test_xlsx_export_has_real_numbers_and_dates(client, office):
    hostile = file_report(office["staff"].user, fraction=0.7, note="@SUM(A1:A9)")
    login(client, office["staff"])
    response = client.get(reverse("problem-export-xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    head = [cell.value for cell in sheet[1]]
    rows = {row[0].value: dict(zip(head, row)) for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {office["reported"].pk, office["assigned"].pk, office["fixed"].pk, hostile.pk}
    assigned = rows[office["assigned"].pk]
    assert assigned["编号"].data_type == "n"
    assert assigned["发现日期"].is_date and assigned["办理期限"].is_date
    assert assigned["办理期限"].value.date() == office["assigned"].deadline  # openpyxl reads dates back as datetimes
    assert assigned["剩余天数"].data_type == "n" and assigned["剩余天数"].value == 3
    assert assigned["责任单位"].value == "黄龙镇"
    assert isinstance(assigned["经度"].value, float)
    fixed = rows[office["fixed"].pk]
    assert fixed["结果"].value == "已解决" and fixed["重新打开次数"].value == 0
    # Typed text stays text: never a formula.
    note = rows[hostile.pk]["问题描述"]
    assert note.data_type == "s" and note.value == "@SUM(A1:A9)"


# --- one problem and its moves ---

def test_the_detail_page_shows_the_timeline_photos_and_the_buttons_the_viewer_has(client, office):
    fixed = office["fixed"]
    login(client, office["staff"])
    response = client.get(reverse("problem-detail", args=[fixed.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("上报", "受理", "交办", "办结", "核验通过", "黄龙镇", "已清运"):
        assert label in html
    photo = ProblemPhoto.objects.get(problem=fixed)
    assert reverse("problem-photo", args=[fixed.pk, photo.pk, "thumb"]) in html
    actions = [item["action"] for item in response.context["action_forms"]]
    assert actions == ["reopen", "reinspect", "comment"]
    # The chief of 狮子沟 sees the page but gets no office-only buttons on a reported problem.
    login(client, office["chief"])
    response = client.get(reverse("problem-detail", args=[office["reported"].pk]))
    assert [item["action"] for item in response.context["action_forms"]] == ["comment"]


def test_a_forbidden_action_is_a_403_and_changes_nothing(client, office):
    problem = office["reported"]
    events = ProblemEvent.objects.filter(problem=problem).count()
    login(client, office["chief"])
    response = client.post(reverse("problem-act", args=[problem.pk]), {"action": "accept", "note": "我来受理"})
    assert response.status_code == 403
    assert "你无权对这个问题执行“受理”" in response.content.decode()
    assert "我来受理" in response.content.decode()  # what was typed is kept
    problem.refresh_from_db()
    assert problem.state == State.REPORTED
    assert ProblemEvent.objects.filter(problem=problem).count() == events


def test_accept_and_assign_move_the_state_and_append_events(client, office):
    problem = office["reported"]
    url = reverse("problem-detail", args=[problem.pk])
    login(client, office["staff"])
    response = client.post(reverse("problem-act", args=[problem.pk]), {"action": "accept"})
    assert response.status_code == 302 and response["Location"] == url
    problem.refresh_from_db()
    assert problem.state == State.ACCEPTED
    # The assign form offers the proposed unit and the category's default deadline.
    page = client.get(url)
    assert "已受理" in page.content.decode()
    assert page.context["default_deadline"] > timezone.localdate()
    deadline = timezone.localdate() + timedelta(days=7)
    response = client.post(url, {"action": "assign", "unit": office["unit"].pk, "deadline": deadline.isoformat(),
                                 "note": "请尽快清理"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.state, problem.unit, problem.deadline) == (State.ASSIGNED, office["unit"], deadline)
    last = problem.events.order_by("-at", "-id").first()
    assert (last.action, last.from_state, last.to_state, last.unit, last.note) == (
        Action.ASSIGN, State.ACCEPTED, State.ASSIGNED, office["unit"], "请尽快清理")
    assert [event.action for event in problem.events.order_by("at", "id")] == [Action.REPORT, Action.ACCEPT, Action.ASSIGN]
    assert "已交办。" in client.get(url).content.decode()  # the message after the redirect


def test_resolve_without_a_photo_is_refused_and_with_one_stored(client, office):
    problem = office["assigned"]
    act = reverse("problem-act", args=[problem.pk])
    login(client, office["teammate"])
    response = client.post(act, {"action": "resolve", "note": "已封堵排口"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "办结须附至少一张现场照片。" in html and "已封堵排口" in html
    problem.refresh_from_db()
    assert problem.state == State.ASSIGNED
    response = client.post(act, {"action": "resolve", "note": "已封堵排口",
                                 "photos": [SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg"),
                                            SimpleUploadedFile("b.jpg", jpeg((200, 30, 30)), "image/jpeg")]})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.state == State.RESOLVED
    photos = ProblemPhoto.objects.filter(problem=problem)
    assert photos.count() == 2 and all(photo.event.action == Action.RESOLVE for photo in photos)
    # The photos go to those who may read the problem, and to nobody else.
    photo_url = reverse("problem-photo", args=[problem.pk, photos[0].pk, "thumb"])
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    login(client, office["outsider"])
    assert client.get(photo_url).status_code == 404
    # Not a picture: said plainly.
    login(client, office["staff"])
    response = client.post(act, {"action": "send_back", "note": ""})
    assert response.status_code == 400 and "请填写说明。" in response.content.decode()


def test_close_not_fixed_needs_a_reason_and_shows_distinctly(client, office):
    problem = office["assigned"]
    act = reverse("problem-act", args=[problem.pk])
    login(client, office["staff"])
    response = client.post(act, {"action": "close_not_fixed", "note": "不属于本区"})
    assert response.status_code == 400 and "请选择未解决的原因" in response.content.decode()
    response = client.post(act, {"action": "close_not_fixed", "note": "不属于本区", "reason": "not_ours"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.state, problem.ending, problem.not_fixed_reason) == (State.CLOSED, Ending.NOT_FIXED, "not_ours")
    html = client.get(f"{LIST}?state=closed").content.decode()
    assert "ending-not_fixed" in html and "关闭未解决" in html and "ending-fixed" in html


def test_possible_duplicates_are_offered_and_merged_in_one_click(client, office):
    original = office["reported"]
    twin = file_report(office["staff"].user, fraction=0.5, note="同一处垃圾，又有人打热线")
    login(client, office["staff"])
    # The list says so on both rows, and leads to the page where they are merged.
    listed = {row.pk: row.possible_duplicate for row in client.get(reverse("problem-list")).context["rows"]}
    assert listed[twin.pk] == original.pk and listed[original.pk] == twin.pk
    assert f"可能与 #{original.pk} 重复" in client.get(reverse("problem-list")).content.decode()
    response = client.get(reverse("problem-detail", args=[twin.pk]))
    assert [candidate.pk for candidate in response.context["candidates"]] == [original.pk]
    assert "可能重复" in response.content.decode()
    response = client.post(reverse("problem-act", args=[twin.pk]), {"action": "merge", "duplicate_of": original.pk})
    assert response.status_code == 302
    twin.refresh_from_db()
    assert (twin.state, twin.ending, twin.duplicate_of_id) == (State.CLOSED, Ending.DUPLICATE, original.pk)
    html = client.get(reverse("problem-detail", args=[original.pk])).content.decode()
    assert "已合并到本问题的重复问题" in html and f"#{twin.pk}" in html
    assert "可能与" not in client.get(reverse("problem-list")).content.decode()  # merged: nothing left to offer
    # An unknown survivor is said plainly.
    other = file_report(office["staff"].user, category=Category.OTHER, fraction=0.9)
    response = client.post(reverse("problem-act", args=[other.pk]), {"action": "merge", "duplicate_of": "999999"})
    assert response.status_code == 400 and "没有编号为 #999999 的问题" in response.content.decode()


def test_an_unknown_action_is_a_400(client, office):
    login(client, office["staff"])
    response = client.post(reverse("problem-act", args=[office["reported"].pk]), {"action": "escalate"})
    assert response.status_code == 400


# --- my tasks ---

def test_my_tasks(client, office):
    login(client, office["staff"])
    assert ids(client.get(reverse("problem-mine"))) == [office["reported"].pk]
    login(client, office["teammate"])
    assert ids(client.get(reverse("problem-mine"))) == [office["assigned"].pk]
    login(client, office["outsider"])
    response = client.get(reverse("problem-mine"))
    assert response.status_code == 200 and ids(response) == []
    assert "现在没有等你处理的问题" in response.content.decode()


# --- the office's new-problem form ---

def new_problem_body(lonlat, **changes):
    body = {"source": "hotline", "category": "garbage", "note": "市民来电：河边有垃圾",
            "observed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "lon": f"{lonlat[0]:.6f}",
            "lat": f"{lonlat[1]:.6f}"}
    body.update(changes)
    return body


def test_only_staff_enter_problems(client, office):
    url = reverse("problem-new")
    login(client, office["volunteer"])
    assert client.get(url).status_code == 403
    assert client.post(url, new_problem_body((110.7, 32.6))).status_code == 403
    login(client, office["chief"])
    assert client.get(url).status_code == 403
    login(client, office["staff"])
    assert client.get(url).status_code == 200


def test_the_office_enters_a_hotline_call_and_sees_its_possible_duplicate(client, office):
    point = point_on("ZW-G07", 0.5)
    login(client, office["staff"])
    response = client.post(reverse("problem-new"), new_problem_body(to_lonlat(point.x, point.y)))
    assert response.status_code == 302
    problem = Problem.objects.latest("pk")
    assert response["Location"] == reverse("problem-detail", args=[problem.pk])
    assert (problem.source, problem.category, problem.reported_by, problem.state) == (
        Source.HOTLINE, "garbage", office["staff"].user, State.REPORTED)
    assert problem.waterway.code == "ZW-G07"
    page = client.get(response["Location"])
    assert [candidate.pk for candidate in page.context["candidates"]] == [office["reported"].pk]


def test_a_deputy_suggestion_names_its_deputy(client, office):
    deputy = make_person(name="刘代表", role="deputy", level="district")
    point = point_on("ZW-G01", 0.3)
    body = new_problem_body(to_lonlat(point.x, point.y), source="deputy")
    login(client, office["staff"])
    response = client.post(reverse("problem-new"), body)
    assert response.status_code == 400
    assert "代表建议须注明提出建议的代表。" in response.content.decode()
    assert "市民来电：河边有垃圾" in response.content.decode()  # kept
    response = client.post(reverse("problem-new"), {**body, "deputy": deputy.pk,
                                                    "photos": SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 302
    problem = Problem.objects.latest("pk")
    assert (problem.source, problem.deputy) == (Source.DEPUTY, deputy)
    assert problem.own_photos.count() == 1
    html = client.get(response["Location"]).content.decode()
    assert "刘代表" in html


@pytest.mark.parametrize("changes, message", [
    ({"lon": "116.40", "lat": "39.90"}, "不在张湾区内"),
    ({"lon": "", "lat": ""}, "请在地图上点选问题所在的位置"),
    ({"lon": "abc"}, "经度应为数字"),
    ({"observed_at": "2099-01-01T10:00"}, "发现时间不能晚于现在"),
    ({"category": "volcano"}, "请从列表中选择问题类别"),
    ({"source": "public"}, "请选择来源"),
    ({"note": "垃圾\x00"}, "无法保存的字符"),
])
def test_new_problem_refusals(client, office, changes, message):
    point = point_on("ZW-G07", 0.5)
    before = Problem.objects.count()
    login(client, office["staff"])
    response = client.post(reverse("problem-new"), new_problem_body(to_lonlat(point.x, point.y), **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Problem.objects.count() == before


def test_public_reports_show_their_phone_to_staff_only(client, office):
    public = file_report(None, source=Source.PUBLIC, fraction=0.4, contact_phone="13900007777", tracking=True)
    login(client, office["staff"])
    assert "13900007777" in client.get(reverse("problem-detail", args=[public.pk])).content.decode()
    login(client, office["chief"])
    response = client.get(reverse("problem-detail", args=[public.pk]))
    assert response.status_code == 200 and "13900007777" not in response.content.decode()


def test_the_assign_form_warns_when_the_deadline_s_year_has_no_holidays_entered(client, office, clock):
    from problems.models import CalendarDay
    from tests.support.clock import beijing

    problem = office["reported"]
    login(client, office["staff"])
    move(problem, office["staff"], "accept")
    url = reverse("problem-detail", args=[problem.pk])
    assert 'id="calendar-missing"' not in client.get(url).content.decode()  # 2026's are shipped
    clock.move_to(beijing("2026-12-30 09:00"))  # the default deadline runs into 2027
    login(client, office["staff"])  # the idle session has expired meanwhile
    text = client.get(url).content.decode()
    assert 'id="calendar-missing"' in text and "2027 年的节假日与调休尚未录入" in text
    CalendarDay.objects.create(day="2027-01-01", kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    assert 'id="calendar-missing"' not in client.get(url).content.decode()
