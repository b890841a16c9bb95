"""GET /api/points/me/: what the phone shows of a person's points (balance, pending, last entries,
the rules in force), and only theirs."""

from decimal import Decimal

import pytest
from django.test import Client

from points import services
from points.models import Item, Rule

URL = "/api/points/me/"


def test_my_points_give_balance_pending_last_entries_and_the_rules(crew, record, review, api):
    volunteer = crew["volunteer"]
    verified = record(volunteer, hours=1.5, debris_kg=20, day="2026-05-01")
    review(verified, crew["leader"])
    waiting = record(volunteer, hours=3.0, day="2026-06-02", kind="patrol")
    # Someone else's points never show in mine.
    review(record(crew["teammate"], hours=2.0, day="2026-05-03"), crew["leader"])

    data = api(volunteer).get(URL).json()
    # 1.5 h × 1 point, and 20 kg × 0.1 point
    assert (data["person"], data["balance"], data["earned"], data["redeemed"]) == (volunteer.pk, 3.5, 3.5, 0)
    # The patrol waiting for review would earn 2 points (at most 2 hours of one activity count).
    assert data["pending"] == {"total": 2.0, "activities": [
        {"id": waiting.pk, "kind": "patrol", "kind_display": "巡河", "day": "2026-06-02", "points": 2.0}]}
    assert len(data["entries"]) == 2
    assert {entry["activity_id"] for entry in data["entries"]} == {verified.pk}
    hours = next(entry for entry in data["entries"] if "小时" in entry["reason"])
    assert hours["amount"] == 1.5 and hours["kind_display"] == "获得" and hours["problem_id"] is None
    assert f"清漂保洁 #{verified.pk} 审核通过" in hours["reason"]
    assert "每服务 1 小时得 1 分，每次活动最多计 2 小时，每人每天最多 8 分" in data["rules"]
    assert len(data["rules"]) == Rule.objects.count() == 4
    assert data["note"] == ""


def test_the_last_ten_entries_newest_first_with_spending_and_adjustments(crew, record, review, api, clock):
    volunteer, staff = crew["volunteer"], crew["staff"]
    for day in range(1, 12):
        review(record(volunteer, hours=1.0, day=f"2026-05-{day:02d}", kind="patrol"), crew["leader"])
        clock.shift(60)
    services.adjust(person=volunteer, amount="-0.5", reason="重复计入的一次活动", by=staff.user)
    clock.shift(60)
    towel = Item.objects.create(name="毛巾", price=3, stock=5)
    services.redeem(person=volunteer, item=towel, quantity=2, place="黄龙镇服务站", by=staff.user)

    data = api(volunteer).get(URL).json()
    assert data["balance"] == 11 - 0.5 - 6 and data["earned"] == 10.5 and data["redeemed"] == 6
    entries = data["entries"]
    assert len(entries) == 10
    assert [entries[0]["kind_display"], entries[1]["kind_display"]] == ["兑换", "人工调整"]
    assert entries[0]["amount"] == -6 and entries[0]["reason"] == "在黄龙镇服务站兑换 毛巾 × 2"
    assert entries[1]["reason"] == "人工调整：重复计入的一次活动"
    assert [entry["at"] for entry in entries] == sorted((entry["at"] for entry in entries), reverse=True)


def test_a_problem_credit_links_to_its_problem(crew, api, django_capture_on_commit_callbacks):
    from tests.support.problems import move, reported

    problem = reported(crew["volunteer"], source="phone")
    with django_capture_on_commit_callbacks(execute=True):
        move(problem, crew["staff"], "accept")
    [entry] = api(crew["volunteer"]).get(URL).json()["entries"]
    assert entry["problem_id"] == problem.pk and entry["activity_id"] is None
    assert entry["amount"] == 2 and f"#{problem.pk}" in entry["reason"]


def test_a_login_without_a_person_gets_the_rules_and_a_note(db, django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user(username="office-login", password="x"))
    data = client.get(URL).json()
    assert data["person"] is None and data["balance"] is None and data["pending"] is None
    assert data["entries"] == [] and len(data["rules"]) == 4
    assert "没有关联人员" in data["note"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_nobody_reads_points_unsigned_and_nothing_is_written_here(crew, api, method):
    assert api().get(URL).status_code == 401
    assert getattr(api(crew["volunteer"]), method)(URL, {}, format="json").status_code == 405


def test_the_rules_list_only_those_in_force_today(crew, api, clock):
    Rule.objects.filter(measure="problem_fixed").update(effective_until="2026-11-17")
    Rule.objects.create(name="将来的规则", measure="activity", points_per_unit=Decimal("2"), effective_from="2026-12-01")
    rules = api(crew["volunteer"]).get(URL).json()["rules"]
    assert len(rules) == 3 and not any("解决" in rule or "参加 1 次活动" in rule for rule in rules)
