"""The points pages as HTML: the public boards (ranked by what was earned in the period, by the
Beijing day), the rules and the catalogue, a village's year, a person's statement and its CSV (who
may read them), the staff's adjustment and the redemption desk (once per form, refusals shown),
the profile's points card, and bad input refused in Chinese."""

import csv
import io
import uuid
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from points import selectors, services
from points.models import Entry, Item, Redemption, Rule, Scheme
from problems.models import Source
from tests.support.factories import make_person
from tests.support.problems import move, reported
from waterways.models import Village

D = Decimal


@pytest.fixture
def earn(crew, record, review):
    """earn(person, hours, day=, start=) -> a verified activity, credited by the default rules (reviewed by the
    team's leader for its members, by the office's staff for everyone else)."""

    def make(person, hours=1.0, *, day="2026-11-02", start="08:00"):
        activity = record(person, hours=hours, day=day, start=start)
        members = {crew["volunteer"].pk, crew["teammate"].pk}
        review(activity, crew["leader"] if person.pk in members else crew["staff"])
        return activity

    return make


def signed_in(person):
    client = Client()
    client.force_login(person.user)
    return client


def html(response):
    return response.content.decode()


@pytest.fixture
def villages():
    first, second = Village.objects.order_by("code")[:2]
    return first, second


@pytest.fixture
def shop():
    return {
        "soap": Item.objects.create(name="洗衣皂", description="两块装", price=2, stock=10),
        "gloves": Item.objects.create(name="劳保手套", price=5, stock=1),
        "hidden": Item.objects.create(name="下架的水杯", price=1, stock=3, is_active=False),
    }


# --- The boards ------------------------------------------------------------------------------------

def test_boards_rank_by_points_earned_in_the_month_and_spending_never_lowers_a_place(crew, earn, shop):
    earn(crew["volunteer"], 2.0)
    earn(crew["teammate"], 1.5)
    earn(crew["outsider"], 2.0, day="2026-10-20")  # October: not on November's board
    services.redeem(person=crew["volunteer"], item=shop["soap"], quantity=1, place="便民服务中心", by=crew["staff"].user)
    assert selectors.balance(crew["volunteer"]) < selectors.balance(crew["teammate"])  # spent more than the gap

    response = Client().get(reverse("points-boards"))  # no login needed; default: this month
    assert response.status_code == 200
    assert response.context["period"] == "2026 年 11 月"
    assert [(row["name"], row["points"]) for row in response.context["people"]] == [
        ("张志愿", D("2.0")), ("李同伴", D("1.5"))]
    page = html(response)
    assert page.index("张志愿") < page.index("李同伴") and "赵路人" not in page
    assert reverse("points-rules") in page and "每服务 1 小时得 1 分" in page  # how points are earned

    year = Client().get(reverse("points-boards"), {"year": 2026})
    assert year.context["period"] == "2026 年全年" and year.context["month"] is None
    assert [row["name"] for row in year.context["people"]] == ["张志愿", "赵路人", "李同伴"]
    october = Client().get(reverse("points-boards"), {"month": 10})  # a month alone: of this year
    assert [row["name"] for row in october.context["people"]] == ["赵路人"]


def test_a_person_who_asked_for_it_appears_by_initials_on_every_public_page(crew, earn, villages):
    village = villages[0]
    crew["volunteer"].board_initials_only = True
    crew["volunteer"].village = village
    crew["volunteer"].save()
    earn(crew["volunteer"], 2.0)
    for url in (reverse("points-boards"), reverse("points-village", args=[village.code])):
        page = html(Client().get(url))
        assert "ZZY" in page and "张志愿" not in page, url


def test_a_month_is_counted_by_the_beijing_day_the_service_was_done(crew, earn):
    # 23:00–23:30 on 31 October and 00:10–00:40 on 1 November, Beijing: both on 31 October in UTC.
    earn(crew["volunteer"], 0.5, day="2026-10-31", start="23:00")
    earn(crew["teammate"], 0.5, day="2026-11-01", start="00:10")
    october = Client().get(reverse("points-boards"), {"year": 2026, "month": 10})
    november = Client().get(reverse("points-boards"), {"year": 2026, "month": 11})
    assert [row["name"] for row in october.context["people"]] == ["张志愿"]
    assert [row["name"] for row in november.context["people"]] == ["李同伴"]


def test_village_and_team_boards_sum_their_people_and_link_to_the_village(crew, earn, villages):
    home, other = villages
    for name, village in (("volunteer", home), ("teammate", home), ("outsider", other)):
        crew[name].village = village
        crew[name].save()
    earn(crew["volunteer"], 2.0)
    earn(crew["teammate"], 1.0, start="14:00")
    earn(crew["outsider"], 2.0, start="15:00")
    response = Client().get(reverse("points-boards"))
    assert [(row["code"], row["points"], row["people"]) for row in response.context["villages"]] == [
        (home.code, D("3.0"), 2), (other.code, D("2.0"), 1)]
    assert f'{reverse("points-village", args=[home.code])}?year=2026' in html(response)
    assert [(row["name"], row["points"]) for row in response.context["teams"]] == [(crew["team"].name, D("3.0"))]


def test_empty_boards_say_so(district_data):
    response = Client().get(reverse("points-boards"), {"year": 2024})
    assert response.status_code == 200
    page = html(response)
    assert "2024 年全年还没有人获得积分" in page and "还没有队伍获得积分" in page


@pytest.mark.parametrize("query, word", [
    ({"year": "abc"}, "年份"), ({"year": "1999"}, "年份"), ({"year": "99999999999999999999999"}, "年份"),
    ({"month": "13"}, "月份"), ({"month": "0"}, "月份"), ({"month": "1.5"}, "月份"), ({"month": "-1"}, "月份"),
    ({"year": "２０２６"}, "年份"),
])
def test_an_impossible_period_is_a_400_in_chinese(district_data, query, word):
    response = Client().get(reverse("points-boards"), query)
    assert response.status_code == 400
    assert f"{word}应为" in html(response)


def test_a_nul_in_the_period_is_a_400(district_data):
    response = Client().get(reverse("points-boards") + "?year=2026%00")
    assert response.status_code == 400 and "无法处理的字符" in html(response)


# --- The rules page ----------------------------------------------------------------------------------

def test_the_rules_page_shows_every_rule_as_a_sentence_the_settings_and_the_catalogue(district_data, shop, clock):
    coming = Rule.objects.create(name="参加活动积分", measure="activity", points_per_unit="2.00",
                                 effective_from="2027-01-01", description="明年起每次活动另加 2 分")
    ended = Rule.objects.create(name="旧办法", measure="hours", points_per_unit="0.50",
                                effective_from="2025-01-01", effective_until="2025-12-31")
    page = html(Client().get(reverse("points-rules")))  # public
    assert "每服务 1 小时得 1 分，每次活动最多计 2 小时，每人每天最多 8 分" in page
    assert "每清理 1 公斤垃圾得 0.1 分（参加者平分）" in page and "适用活动：清漂保洁" in page
    assert "2026-01-01 起长期有效" in page
    assert "即将生效" in page and "每参加 1 次活动得 2 分" in page and coming.description in page
    assert "已结束的规则" in page and "2025-01-01 至 2025-12-31" in page and ended.name in page
    assert "兑换积分不会减少服务时长" in page
    assert "积分长期有效，不会年底清零" in page
    assert "洗衣皂" in page and "两块装" in page and "劳保手套" in page and "下架的水杯" not in page
    Scheme.objects.update_or_create(pk=1, defaults={"yearly_expiry": True})
    assert "积分每年 12 月 31 日清零" in html(Client().get(reverse("points-rules")))


def test_the_rules_page_does_not_write_the_settings_row(district_data):
    Scheme.objects.all().delete()
    assert Client().get(reverse("points-rules")).status_code == 200
    assert not Scheme.objects.exists()


# --- A village's page -----------------------------------------------------------------------------

def test_a_village_page_shows_its_year(crew, earn, record, villages):
    village = villages[0]
    for name in ("volunteer", "teammate"):
        crew[name].village = village
        crew[name].save()
    earn(crew["volunteer"], 2.0)
    earn(crew["teammate"], 1.5, start="14:00")
    record(crew["teammate"], hours=1.0, start="18:00")  # waiting: taking part, not verified hours
    response = Client().get(reverse("points-village", args=[village.code]))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary["people"], summary["records"], summary["verified_hours"], summary["points"]) == (
        2, 3, D("3.50"), D("3.5"))
    page = html(response)
    assert village.name in page and page.index("张志愿") < page.index("李同伴")
    earlier = Client().get(reverse("points-village", args=[village.code]), {"year": 2025})
    assert earlier.context["summary"]["points"] == 0 and "2025 年本村（社区）还没有人获得积分" in html(earlier)


def test_an_unknown_village_is_a_404_and_a_bad_year_a_400(district_data, villages):
    assert Client().get(reverse("points-village", args=["999999999999"])).status_code == 404
    assert Client().get("/points/villages/abc/").status_code == 404
    response = Client().get(reverse("points-village", args=[villages[0].code]), {"year": "20x6"})
    assert response.status_code == 400 and "年份应为" in html(response)


# --- A person's statement -------------------------------------------------------------------------

def test_a_statement_is_read_by_the_person_and_staff_only(crew):
    url = reverse("points-statement", args=[crew["volunteer"].pk])
    assert signed_in(crew["volunteer"]).get(url).status_code == 200
    assert signed_in(crew["staff"]).get(url).status_code == 200
    for name in ("teammate", "leader", "chief", "outsider"):
        assert signed_in(crew[name]).get(url).status_code == 403, name
        assert signed_in(crew[name]).get(url + "statement.csv").status_code == 403, name
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Client().get(url + "statement.csv").status_code == 302
    assert signed_in(crew["staff"]).get(reverse("points-statement", args=[999999])).status_code == 404


def test_my_points_leads_to_my_own_statement(crew, django_user_model):
    response = signed_in(crew["teammate"]).get(reverse("points-mine"))
    assert response.status_code == 302 and response["Location"] == reverse("points-statement", args=[crew["teammate"].pk])
    login_only = Client()
    login_only.force_login(django_user_model.objects.create_user(username="nobody", password="pw-12345"))
    response = login_only.get(reverse("points-mine"))
    assert response.status_code == 302 and response["Location"] == reverse("points-boards")
    assert "没有关联人员档案" in str(list(get_messages(response.wsgi_request))[0])


def test_a_statement_shows_the_totals_pending_work_and_every_entry_with_its_links(crew, earn, record, shop,
                                                                                    django_capture_on_commit_callbacks):
    activity = earn(crew["volunteer"], 2.0)
    problem = reported(crew["volunteer"], source=Source.PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        move(problem, crew["staff"], "accept")
    services.redeem(person=crew["volunteer"], item=shop["soap"], quantity=1, place="便民服务中心", by=crew["staff"].user)
    waiting = record(crew["volunteer"], hours=1.5, start="14:00")

    response = signed_in(crew["volunteer"]).get(reverse("points-statement", args=[crew["volunteer"].pk]))
    totals = response.context["totals"]
    assert (totals["balance"], totals["earned"], totals["redeemed"]) == (D("2.0"), D("4.0"), D("2.0"))
    assert response.context["pending_points"] == D("1.5")
    page = html(response)
    assert reverse("activity-detail", args=[waiting.pk]) in page and "+1.5" in page  # pending, with its points
    assert reverse("activity-detail", args=[activity.pk]) in page
    assert reverse("problem-detail", args=[problem.pk]) in page
    assert f"上报的问题 #{problem.pk} 被受理" in page and "在便民服务中心兑换 洗衣皂 × 1" in page
    assert "-2.0" in page and "王队长" in page  # the reviewer made the credit
    assert "人工调整积分" not in page  # the form is the staff's
    staff_view = html(signed_in(crew["staff"]).get(reverse("points-statement", args=[crew["volunteer"].pk])))
    assert "人工调整积分" in staff_view and f'{reverse("points-redeem")}?person={crew["volunteer"].pk}' in staff_view


def test_a_long_statement_is_paginated(crew):
    for number in range(55):
        services.adjust(person=crew["volunteer"], amount=1, reason=f"第 {number} 次补录", by=crew["staff"].user)
    client = signed_in(crew["volunteer"])
    first = client.get(reverse("points-statement", args=[crew["volunteer"].pk]))
    assert len(first.context["page"].object_list) == 50 and first.context["totals"]["balance"] == D("55.0")
    second = client.get(reverse("points-statement", args=[crew["volunteer"].pk]), {"page": 2})
    assert len(second.context["page"].object_list) == 5 and "第 0 次补录" in html(second)
    assert client.get(reverse("points-statement", args=[crew["volunteer"].pk]), {"page": "x\u2028"}).status_code == 200


# --- The statement as CSV -------------------------------------------------------------------------

def read_csv(response):
    raw = response.content
    assert raw.startswith("\ufeff".encode())  # Excel reads Chinese with the byte-order mark
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_csv_holds_every_entry_and_a_balance_row_that_is_their_sum(crew, earn, shop):
    activity = earn(crew["volunteer"], 2.0)
    services.redeem(person=crew["volunteer"], item=shop["soap"], quantity=1, place="便民服务中心", by=crew["staff"].user)
    services.adjust(person=crew["volunteer"], amount=D("-0.5"), reason="重复计分", by=crew["staff"].user)
    response = signed_in(crew["volunteer"]).get(reverse("points-statement-csv", args=[crew["volunteer"].pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    header, *rows, last = read_csv(response)
    assert header[:6] == ["记账时间", "所属日期", "积分", "类型", "触发事件", "原因"]
    entries = list(Entry.objects.filter(person=crew["volunteer"]).order_by("-at", "-id"))
    assert [D(row[2]) for row in rows] == [entry.amount for entry in entries]
    assert [row[5] for row in rows] == [entry.reason for entry in entries]
    assert [row[7] for row in rows] == [str(entry.activity_id or "") for entry in entries]
    assert str(activity.pk) in [row[7] for row in rows]
    assert last[0] == "余额" and D(last[2]) == sum(D(row[2]) for row in rows) == selectors.balance(crew["volunteer"])


def test_the_csv_keeps_formulas_from_running_and_numbers_as_numbers(crew):
    mischief = make_person(name='=HYPERLINK("http://evil.example","点我")', role="staff")
    services.adjust(person=crew["volunteer"], amount=D("-1"), reason="@SUM(1+1)", by=mischief.user)
    services.adjust(person=crew["volunteer"], amount=D("3"), reason="补录", by=make_person(name="+1", role="staff").user)
    rows = read_csv(signed_in(crew["staff"]).get(reverse("points-statement-csv", args=[crew["volunteer"].pk])))[1:-1]
    made_by = [row[6] for row in rows]
    assert made_by == ["'+1", '\'=HYPERLINK("http://evil.example","点我")']
    assert [row[2] for row in rows] == ["3.0", "-1.0"]  # numbers: no apostrophe before the minus
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row if cell not in ("3.0", "-1.0"))


# --- Staff adjust on the statement -----------------------------------------------------------------

def adjustment(amount="5", reason="补录 11 月 2 日清漂", key=None):
    return {"amount": amount, "reason": reason, "key": str(key or uuid.uuid4())}


def test_staff_adjust_through_the_page_and_a_double_submit_adjusts_once(crew):
    client = signed_in(crew["staff"])
    url = reverse("points-adjust", args=[crew["volunteer"].pk])
    form = adjustment("5")
    first = client.post(url, form)
    second = client.post(url, form)  # the same form sent again
    assert first.status_code == second.status_code == 302
    assert first["Location"] == reverse("points-statement", args=[crew["volunteer"].pk])
    entry = Entry.objects.get(person=crew["volunteer"])
    assert entry.amount == D("5.0") and entry.made_by == crew["staff"].user and "补录 11 月 2 日清漂" in entry.reason
    assert selectors.balance(crew["volunteer"]) == D("5.0")
    client.post(url, adjustment("-2.5", "多计了"))  # a new form: a new adjustment
    assert selectors.balance(crew["volunteer"]) == D("2.5")
    page = html(signed_in(crew["volunteer"]).get(reverse("points-statement", args=[crew["volunteer"].pk])))
    assert "人工调整：多计了" in page


@pytest.mark.parametrize("amount, reason, message", [
    ("abc", "原因", "调整积分应为数字"),
    ("", "原因", "请填写调整的积分"),
    ("0", "原因", "不能为 0"),
    ("1e999", "原因", "一次最多调整 10000 分"),
    ("99999999999999999999", "原因", "一次最多调整 10000 分"),
    ("-20000", "原因", "一次最多扣 -10000 分"),
    ("NaN", "原因", "调整积分应为数字"),
    ("1.25", "原因", "最多一位小数"),
    ("5", "", "必须写明原因"),
    ("5", "   ", "必须写明原因"),
    ("5", "原因\x00", "空字符"),
    ("5", "长" * 201, "原因最多 200 个字"),
])
def test_a_bad_adjustment_is_refused_on_the_page_and_stores_nothing(crew, amount, reason, message):
    response = signed_in(crew["staff"]).post(reverse("points-adjust", args=[crew["volunteer"].pk]),
                                             adjustment(amount, reason))
    assert response.status_code == 400
    assert message in html(response)
    assert not Entry.objects.exists()


def test_a_form_without_its_key_or_from_someone_else_adjusts_nothing(crew):
    url = reverse("points-adjust", args=[crew["volunteer"].pk])
    response = signed_in(crew["staff"]).post(url, {"amount": "5", "reason": "补录", "key": "not-a-key"})
    assert response.status_code == 400 and "表单已失效" in html(response)
    for name in ("volunteer", "leader", "teammate"):
        assert signed_in(crew[name]).post(url, adjustment()).status_code == 403, name
    assert Client().post(url, adjustment()).status_code == 302  # to the login
    assert signed_in(crew["staff"]).get(url).status_code == 405
    assert not Entry.objects.exists()


def test_a_key_already_used_for_another_person_adjusts_nobody_else(crew):
    key = uuid.uuid4()
    client = signed_in(crew["staff"])
    client.post(reverse("points-adjust", args=[crew["volunteer"].pk]), adjustment("5", key=key))
    response = client.post(reverse("points-adjust", args=[crew["teammate"].pk]), adjustment("5", key=key))
    assert response.status_code == 400 and "另一人" in html(response)
    assert selectors.balance(crew["teammate"]) == 0 and selectors.balance(crew["volunteer"]) == D("5.0")


# --- The redemption desk ----------------------------------------------------------------------------

def redemption_form(person, item, quantity="1", place="黄龙镇便民服务中心", client_uuid=None):
    return {"person": str(person.pk), "item": str(item.pk), "quantity": quantity, "place": place,
            "client_uuid": str(client_uuid or uuid.uuid4())}


def test_staff_find_a_person_and_record_a_redemption_once_however_often_it_is_sent(crew, shop):
    services.adjust(person=crew["volunteer"], amount=10, reason="开户", by=crew["staff"].user)
    client = signed_in(crew["staff"])
    found = client.get(reverse("points-redeem"), {"q": "张志"})
    assert found.status_code == 200
    assert [(person.name, person.balance) for person in found.context["found"]] == [("张志愿", D("10.0"))]
    assert [person.name for person in client.get(reverse("points-redeem"), {"q": "13900000002"}).context["found"]] == ["李同伴"]
    desk = client.get(reverse("points-redeem"), {"person": crew["volunteer"].pk})
    assert desk.context["selected"] == crew["volunteer"] and desk.context["balance"] == D("10.0")
    assert "下架的水杯" not in html(desk)

    form = redemption_form(crew["volunteer"], shop["soap"], quantity="2")
    first = client.post(reverse("points-redeem"), form)
    again = client.post(reverse("points-redeem"), form)
    assert first.status_code == again.status_code == 302
    redemption = Redemption.objects.get()
    assert (redemption.quantity, redemption.points, redemption.place) == (2, 4, "黄龙镇便民服务中心")
    assert selectors.balance(crew["volunteer"]) == D("6.0")
    shop["soap"].refresh_from_db()
    assert shop["soap"].stock == 8
    after = client.get(first["Location"])
    assert "已为张志愿兑换 洗衣皂 × 2，扣除 4 分，当前余额 6.0 分" in html(after)
    assert after.context["form"]["place"].value() == "黄龙镇便民服务中心"  # the desk remembers its place
    assert "黄龙镇便民服务中心" in html(after) and list(after.context["recent"]) == [redemption]


@pytest.mark.parametrize("item, quantity, message", [
    ("gloves", "1", "积分不足：兑换需要 5 分"),
    ("soap", "2", "积分不足"),
    ("gloves", "2", "库存只剩 1 件"),
    ("soap", "-1", "数量至少为 1"),
    ("soap", "0", "数量至少为 1"),
    ("soap", "abc", "数量应为整数"),
    ("soap", "1.5", "数量应为整数"),
    ("soap", "99999999999999999999999", "数量最多为 1000"),
    ("hidden", "1", "没有这件物品，或它已下架"),
])
def test_a_refused_redemption_shows_why_and_stores_nothing(crew, shop, item, quantity, message):
    services.adjust(person=crew["volunteer"], amount=3, reason="开户", by=crew["staff"].user)
    response = signed_in(crew["staff"]).post(reverse("points-redeem"),
                                             redemption_form(crew["volunteer"], shop[item], quantity=quantity))
    assert response.status_code == 400
    assert message in html(response)
    assert response.context["selected"] == crew["volunteer"]  # still at the same person
    assert not Redemption.objects.exists() and selectors.balance(crew["volunteer"]) == D("3.0")


@pytest.mark.parametrize("change, message", [
    ({"person": "999999999"}, "没有这个在册人员"),
    ({"person": "99999999999999999999999"}, "没有这个在册人员"),
    ({"person": ""}, "请先查找并选定兑换的人员"),
    ({"item": "abc"}, "没有这件物品"),
    ({"item": "99999999999999999999999"}, "没有这件物品"),
    ({"place": ""}, "请填写兑换点"),
    ({"place": "兑换点\x00"}, "空字符"),
    ({"place": "长" * 65}, "兑换点最多 64 个字"),
    ({"client_uuid": "x"}, "表单已失效"),
])
def test_a_malformed_redemption_is_a_400_in_chinese(crew, shop, change, message):
    services.adjust(person=crew["volunteer"], amount=3, reason="开户", by=crew["staff"].user)
    response = signed_in(crew["staff"]).post(reverse("points-redeem"),
                                             {**redemption_form(crew["volunteer"], shop["soap"]), **change})
    assert response.status_code == 400 and message in html(response)
    assert not Redemption.objects.exists()


def test_the_desk_is_the_staffs_and_refuses_odd_addresses(crew, shop):
    for name in ("volunteer", "leader", "chief"):
        assert signed_in(crew[name]).get(reverse("points-redeem")).status_code == 403, name
        assert signed_in(crew[name]).post(reverse("points-redeem"),
                                          redemption_form(crew[name], shop["soap"])).status_code == 403, name
    assert Client().get(reverse("points-redeem")).status_code == 302
    staff = signed_in(crew["staff"])
    bad = staff.get(reverse("points-redeem"), {"person": "abc"})
    assert bad.status_code == 400 and "人员应为" in html(bad)
    assert staff.get(reverse("points-redeem"), {"person": "999999999"}).status_code == 404
    long_query = staff.get(reverse("points-redeem"), {"q": "长" * 65})
    assert long_query.status_code == 400
    assert staff.get(reverse("points-redeem"), {"q": "没有这个人"}).context["found"].count() == 0


# --- The profile card and the menu ------------------------------------------------------------------

def test_the_profile_shows_the_points_card_to_the_person_and_staff_only(crew, earn):
    earn(crew["volunteer"], 2.0)
    url = reverse("person-history", args=[crew["volunteer"].pk])
    statement = reverse("points-statement", args=[crew["volunteer"].pk])
    for name in ("volunteer", "staff"):
        page = html(signed_in(crew[name]).get(url))
        assert 'id="points-card-title"' in page and statement in page and "服务 2 小时 × 1 分" in page, name
    for name in ("teammate", "leader", "outsider"):
        page = html(signed_in(crew[name]).get(url))
        assert 'id="points-card-title"' not in page and statement not in page, name


def test_the_statement_and_the_card_follow_one_rule(crew, monkeypatch):
    """selectors.may_read_statement decides for the statement, its CSV and the profile's card: a
    change of the rule there reaches all three."""
    url = reverse("points-statement", args=[crew["volunteer"].pk])
    profile = reverse("person-history", args=[crew["volunteer"].pk])
    teammate = signed_in(crew["teammate"])
    monkeypatch.setattr(selectors, "may_read_statement", lambda user, person: True)
    assert teammate.get(url).status_code == 200 and teammate.get(url + "statement.csv").status_code == 200
    assert 'id="points-card-title"' in html(teammate.get(profile))
    monkeypatch.setattr(selectors, "may_read_statement", lambda user, person: False)
    volunteer = signed_in(crew["volunteer"])
    assert volunteer.get(url).status_code == 403
    assert 'id="points-card-title"' not in html(volunteer.get(profile))


def test_the_menu_leads_to_the_points_pages_signed_in_or_not(crew):
    assert f'href="{reverse("points-boards")}"' in html(signed_in(crew["volunteer"]).get(reverse("activity-list")))
    assert f'href="{reverse("points-boards")}"' in html(Client().get(reverse("points-rules")))
    staff_nav = html(signed_in(crew["staff"]).get(reverse("points-boards")))
    assert f'href="{reverse("points-redeem")}"' in staff_nav
    assert f'href="{reverse("points-redeem")}"' not in html(signed_in(crew["volunteer"]).get(reverse("points-boards")))
