"""The problem list as the list behind a report's figures: each filter a report links with (year,
state=open, ending, reopened, counted, accepted, due_start/due_end, on_time) gives, on the page and in
the API, exactly the rows a query written out here in SQL gives; the due and on-time lists are the
figures' own counts; the page says in words why it holds those rows; bad values are Chinese 400s."""

from datetime import date
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.urls import reverse
from psycopg import sql

from problems.figures import figures
from problems.models import Problem, ResponsibleUnit
from tests.support.clock import beijing
from tests.support.factories import make_person
from tests.support.problems import point_on

pytestmark = pytest.mark.django_db

LIST = reverse("problem-list")
API = "/api/problems/"
TODAY = date(2027, 3, 1)
YEAR_2026 = ("2026-01-01 00:00:00+08", "2027-01-01 00:00:00+08")


def add(name, rows, **fields):
    fields.setdefault("category", "garbage")
    fields.setdefault("source", "hotline")
    fields.setdefault("point", point_on("ZW-G07", 100))
    fields["observed_at"] = beijing(fields["observed_at"])
    for moment in ("accepted_at", "resolved_at"):
        if isinstance(fields.get(moment), str):
            fields[moment] = beijing(fields[moment])
    if fields.get("first_deadline") and "deadline" not in fields:
        fields["deadline"] = fields["first_deadline"]
    rows[name] = Problem.objects.create(**fields)


@pytest.fixture
def book(crew, clock):
    """Problems around the turn of 2026 to 2027, seen from 1 March 2027 (Beijing): one observed at
    23:30 on 31 December 2026 (2026; overdue), one at 00:10 on 1 January 2027 (2027), a reopened one,
    public reports accepted and not, a duplicate, an invalid one, one fixed half an hour after its
    deadline day ended in Beijing (still that day in UTC), one still in time, one awaiting verification."""
    clock.move_to(beijing("2027-03-01 10:00"))
    unit = ResponsibleUnit.objects.create(name="黄龙镇", kind=ResponsibleUnit.Kind.TOWN)
    rows = {}
    add("dec31", rows, observed_at="2026-12-31 23:30", state="in_progress", unit=unit, accepted_at="2027-01-02 09:00",
        first_deadline=date(2027, 1, 8))
    add("jan1", rows, observed_at="2027-01-01 00:10", source="patrol", state="closed", ending="fixed", unit=unit,
        accepted_at="2027-01-01 09:00", first_deadline=date(2027, 1, 6), resolved_at="2027-01-05 16:00")
    add("reopened", rows, observed_at="2026-06-01 08:00", state="closed", ending="fixed", reopen_count=1, unit=unit,
        accepted_at="2026-06-01 09:00", first_deadline=date(2026, 6, 10), resolved_at="2026-06-11 00:30")
    add("public_unaccepted", rows, observed_at="2026-07-01 08:00", source="public", state="reported")
    add("public_accepted", rows, observed_at="2026-08-01 08:00", source="public", state="assigned", unit=unit,
        accepted_at="2026-08-01 12:00", first_deadline=date(2026, 8, 10), deadline=date(2026, 9, 1), reopen_count=2)
    add("duplicate", rows, observed_at="2026-09-01 08:00", state="closed", ending="duplicate",
        accepted_at="2026-09-01 09:00", first_deadline=date(2026, 9, 5), duplicate_of=rows["reopened"])
    add("invalid", rows, observed_at="2026-03-01 08:00", source="open311", state="closed", ending="invalid",
        accepted_at="2026-03-02 08:00")
    add("not_fixed", rows, observed_at="2026-10-01 08:00", state="closed", ending="not_fixed",
        not_fixed_reason="no_action", accepted_at="2026-10-01 09:00", first_deadline=date(2026, 10, 10))
    add("on_time_2026", rows, observed_at="2026-04-01 08:00", source="deputy", state="closed", ending="fixed",
        deputy=make_person(name="吴代表", role="deputy", level="district", login=False),
        accepted_at="2026-04-01 09:00", first_deadline=date(2026, 4, 10), resolved_at="2026-04-10 23:59")
    add("awaiting_check", rows, observed_at="2026-11-01 08:00", state="resolved", unit=unit,
        accepted_at="2026-11-01 09:00", first_deadline=date(2026, 11, 10), resolved_at="2026-11-09 10:00")
    add("in_time", rows, observed_at="2027-02-20 08:00", state="assigned", unit=unit, accepted_at="2027-02-20 09:00",
        first_deadline=date(2027, 3, 5))
    add("late_closed_public", rows, observed_at="2026-12-01 08:00", source="open311", state="closed", ending="fixed",
        first_deadline=date(2026, 12, 5), resolved_at="2026-12-20 10:00")  # never accepted: does not count
    return {**crew, "unit": unit, **rows}


def by_sql(where: str, params=()) -> set[int]:
    """The ids an independent query finds: plain SQL over the table, in the district's time zone."""
    with connection.cursor() as cursor:
        # The condition is one of this module's own SQL fragments; the values go as parameters.
        cursor.execute(sql.SQL("SELECT id FROM problems_problem p WHERE {}").format(sql.SQL(where)), list(params))
        return {row[0] for row in cursor.fetchall()}


COUNTED = "(p.source NOT IN ('public', 'open311') OR p.accepted_at IS NOT NULL)"
IN_2026 = "p.observed_at >= %s AND p.observed_at < %s"
DUE_2026 = (COUNTED + " AND p.first_deadline BETWEEN '2026-01-01' AND '2026-12-31'"
            " AND p.ending NOT IN ('duplicate', 'invalid')"
            " AND NOT (p.state <> 'closed' AND p.first_deadline >= '2027-03-01')")
ON_TIME = "p.ending = 'fixed' AND (p.resolved_at AT TIME ZONE 'Asia/Shanghai')::date <= p.first_deadline"

# (query, the independent SQL's WHERE, its parameters)
CASES = [
    ("year=2026", IN_2026, YEAR_2026),
    ("year=2027", "p.observed_at >= '2027-01-01 00:00+08' AND p.observed_at < '2028-01-01 00:00+08'", ()),
    # year and start/end: both apply (their intersection).
    ("year=2026&start=2026-08-01", IN_2026 + " AND p.observed_at >= '2026-08-01 00:00+08'", YEAR_2026),
    ("year=2026&end=2027-06-30", IN_2026, YEAR_2026),
    ("year=2026&start=2027-01-01", "false", ()),
    ("state=open", "p.state <> 'closed'", ()),
    ("state=open,closed", "true", ()),
    ("state=open&overdue=1&year=2026",
     IN_2026 + " AND p.state IN ('accepted', 'assigned', 'in_progress') AND p.deadline < '2027-03-01'", YEAR_2026),
    ("ending=fixed", "p.ending = 'fixed'", ()),
    ("ending=fixed,not_fixed&year=2026", IN_2026 + " AND p.ending IN ('fixed', 'not_fixed')", YEAR_2026),
    ("reopened=1", "p.reopen_count > 0", ()),
    ("reopened=0", "p.reopen_count = 0", ()),
    ("counted=1", COUNTED, ()),
    ("counted=0", "NOT " + COUNTED, ()),
    ("counted=1&year=2026", COUNTED + " AND " + IN_2026, YEAR_2026),
    ("accepted=1", "p.accepted_at IS NOT NULL AND p.ending NOT IN ('duplicate', 'invalid')", ()),
    ("accepted=0", "NOT (p.accepted_at IS NOT NULL AND p.ending NOT IN ('duplicate', 'invalid'))", ()),
    ("counted=1&accepted=1&year=2026&reopened=1",
     COUNTED + " AND p.accepted_at IS NOT NULL AND p.ending NOT IN ('duplicate', 'invalid') AND p.reopen_count > 0 AND "
     + IN_2026, YEAR_2026),
    ("due_start=2026-01-01&due_end=2026-12-31", DUE_2026, ()),
    ("due_start=2026-01-01&due_end=2026-12-31&on_time=1", DUE_2026 + " AND " + ON_TIME, ()),
    ("due_start=2026-01-01&due_end=2026-12-31&on_time=0", DUE_2026 + " AND NOT (" + ON_TIME + ")", ()),
    ("due_start=2027-01-01", COUNTED + " AND p.first_deadline >= '2027-01-01' AND p.ending NOT IN ('duplicate', 'invalid')"
     " AND NOT (p.state <> 'closed' AND p.first_deadline >= '2027-03-01')", ()),
    ("on_time=1", ON_TIME, ()),
]


@pytest.mark.parametrize("query, where, params", CASES)
def test_the_page_and_the_api_list_exactly_what_the_sql_finds(client, api, book, query, where, params):
    expected = by_sql(where, params)
    client.force_login(book["staff"].user)
    page = client.get(f"{LIST}?{query}")
    assert page.status_code == 200
    assert {row.pk for row in page.context["rows"]} == expected
    assert page.context["page"].paginator.count == len(expected)
    assert f"共 {len(expected)} 个问题" in page.content.decode()
    answer = api(book["staff"]).get(f"{API}?{query}")
    assert answer.status_code == 200, answer.json()
    assert {row["id"] for row in answer.json()["results"]} == expected
    assert answer.json()["count"] == len(expected)
    # The exports carry the same rows.
    csv_text = client.get(f"{reverse('problem-export-csv')}?{query}").content.decode("utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 1 + len(expected)


def test_the_turn_of_the_year_is_counted_in_beijing_time(client, book):
    """23:30 on 31 December belongs to that year, 00:10 on 1 January to the next (UTC would say otherwise)."""
    client.force_login(book["staff"].user)
    in_2026 = {row.pk for row in client.get(LIST, {"year": 2026}).context["rows"]}
    in_2027 = {row.pk for row in client.get(LIST, {"year": 2027}).context["rows"]}
    assert book["dec31"].pk in in_2026 and book["dec31"].pk not in in_2027
    assert book["jan1"].pk in in_2027 and book["jan1"].pk not in in_2026
    overdue = {row.pk for row in client.get(LIST, {"state": "open", "overdue": 1, "year": 2026}).context["rows"]}
    assert overdue == {book["dec31"].pk, book["public_accepted"].pk}


def test_the_due_and_on_time_lists_are_the_figures(client, api, book):
    client.force_login(book["staff"].user)
    for start, end in [(date(2026, 1, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 12, 31)),
                       (date(2026, 6, 1), date(2026, 6, 30))]:
        figure = figures(start=start, end=end, today=TODAY)[0]
        due = client.get(LIST, {"due_start": start, "due_end": end}).context["page"].paginator.count
        on_time = api(book["staff"]).get(API, {"due_start": start, "due_end": end, "on_time": 1}).json()["count"]
        assert (due, on_time) == (figure["due"], figure["on_time"]), (start, end)
    figure = figures(start=date(2026, 1, 1), end=date(2026, 12, 31), today=TODAY)[0]
    # The reopened one was fixed half an hour after its deadline's day ended in Beijing (in UTC still that day): late.
    assert book["reopened"].resolved_at.astimezone(dt_timezone.utc).date() == book["reopened"].first_deadline
    assert (figure["due"], figure["on_time"]) == (5, 1)
    # found, fixed, open, overdue, reopened: the report's figures and their lists agree as well.
    for query, name in [("", "found"), ("&ending=fixed", "fixed"), ("&ending=not_fixed", "closed_not_fixed"),
                        ("&state=open", "open"), ("&state=open&overdue=1", "overdue"), ("&accepted=1", "accepted")]:
        listed = client.get(f"{LIST}?year=2026&counted=1{query}").context["page"].paginator.count
        assert listed == figure[name], name
    reopened = Problem.objects.filter(pk__in=by_sql(COUNTED + " AND " + IN_2026 + " AND p.reopen_count > 0", YEAR_2026))
    assert client.get(f"{LIST}?year=2026&counted=1&reopened=1").context["page"].paginator.count == reopened.count() == 2


def test_the_page_says_which_report_filters_hold_and_each_can_be_dropped(client, book):
    client.force_login(book["staff"].user)
    query = "year=2026&counted=1&reopened=1&accepted=1&ending=fixed&due_start=2026-01-01&due_end=2026-12-31&on_time=0"
    response = client.get(f"{LIST}?{query}")
    html = response.content.decode()
    for words in ("发现于 2026 年（北京时间）", "仅统计口径内", "曾被重新打开", "已受理（不含重复、无效问题）", "结果：已解决",
                  "应办结：首次办理期限在 2026-01-01 至 2026-12-31 之间", "未按时办结"):
        assert words in html, words
    assert "共 1 个问题符合以下条件" in html  # the reopened one fixed late
    chips = {chip["label"]: chip["remove_url"] for chip in response.context["report_chips"]}
    dropped = client.get(LIST + chips["应办结：首次办理期限在 2026-01-01 至 2026-12-31 之间"])
    assert "due_start" not in dropped.request["QUERY_STRING"] and "due_end" not in dropped.request["QUERY_STRING"]
    assert "year=2026" in dropped.request["QUERY_STRING"]
    # The filter form keeps the report's filters when the office narrows the list further.
    assert '<input type="hidden" name="year" value="2026">' in html
    assert '<input type="hidden" name="due_end" value="2026-12-31">' in html
    # state=open shows in the state box, the counts keep the report's filters.
    open_page = client.get(f"{LIST}?state=open&overdue=1&year=2026").content.decode()
    assert '<option value="open" selected>' in open_page
    assert "发现于 2026 年" in open_page
    # A refused filter is not carried into the form again; the others are.
    refused = client.get(LIST, {"year": "abc", "reopened": "1"}).content.decode()
    assert 'name="year" value="abc"' not in refused and '<input type="hidden" name="reopened" value="1">' in refused
    # Without report filters, no such words.
    assert "符合以下条件" not in client.get(LIST).content.decode()


@pytest.mark.parametrize("query, message", [
    ("year=abc", "年份应为 2000 到 2100 之间的整数；收到“abc”"),
    ("year=1999", "年份应为 2000 到 2100 之间的整数"),
    ("year=2026.5", "年份应为"),
    ("ending=solved", "结果的值“solved”无效"),
    ("reopened=yes please", "重新打开应为 1 或 0"),
    ("counted=2", "统计口径应为 1 或 0"),
    ("accepted=maybe", "已受理应为 1 或 0"),
    ("due_start=2026-13-01", "期限起格式应为 YYYY-MM-DD"),
    ("due_end=31/12/2026", "期限止格式应为 YYYY-MM-DD"),
    ("due_start=2026-12-31&due_end=2026-01-01", "期限止不能早于期限起"),
    ("on_time=si", "按时办结应为 1 或 0"),
])
def test_bad_values_are_refused_in_chinese(client, api, book, query, message):
    client.force_login(book["staff"].user)
    page = client.get(f"{LIST}?{query}")
    assert page.status_code == 400
    assert message in page.content.decode()
    answer = api(book["staff"]).get(f"{API}?{query}")
    assert answer.status_code == 400
    assert message in answer.json()["detail"]


def test_the_api_schema_documents_the_report_filters(admin_client):
    schema = admin_client.get("/api/schema/", {"format": "json"}).json()
    parameters = {item["name"]: item for item in schema["paths"][API]["get"]["parameters"]}
    for name in ("year", "ending", "reopened", "counted", "accepted", "due_start", "due_end", "on_time"):
        assert parameters[name]["description"], name
    assert "open" in parameters["state"]["schema"]["items"]["enum"]
    assert "应办结" in parameters["due_start"]["description"]
