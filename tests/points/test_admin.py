"""The points admin: a rule change that would reach back in time is refused on the form with the
reason, an end may be set and a later rule added; the settings are one row; redemptions and the
ledger are read there, never written."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from points import services
from points.models import Entry, Item, Redemption, Rule, Scheme

TODAY = date(2026, 11, 18)  # tests.support.clock.FROZEN_NOW


@pytest.fixture
def office(district_data):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser(username="office", password="pw-12345"))
    return client


def rule_form(rule, **change):
    data = {
        "name": rule.name, "measure": rule.measure, "points_per_unit": str(rule.points_per_unit),
        "activity_kinds": list(rule.activity_kinds), "cap_per_activity": "" if rule.cap_per_activity is None else str(rule.cap_per_activity),
        "cap_per_day": "" if rule.cap_per_day is None else str(rule.cap_per_day),
        "effective_from": rule.effective_from.isoformat(),
        "effective_until": "" if rule.effective_until is None else rule.effective_until.isoformat(),
        "description": rule.description,
    }
    data.update(change)
    return {key: value for key, value in data.items() if value != []}


def hours_rule():
    return Rule.objects.get(measure="hours")


def test_changing_the_rate_of_a_rule_in_force_is_refused_with_the_reason(office):
    rule = hours_rule()
    response = office.post(reverse("admin:points_rule_change", args=[rule.pk]), rule_form(rule, points_per_unit="2.00"))
    assert response.status_code == 200  # the form again, with its error
    page = response.content.decode()
    assert "这条规则自 2026-01-01 起已经生效，不能再改每单位积分：规则不追溯" in page
    rule.refresh_from_db()
    assert rule.points_per_unit == Decimal("1.00")


def test_a_rule_in_force_may_be_ended_and_a_later_one_added(office):
    rule = hours_rule()
    ended = office.post(reverse("admin:points_rule_change", args=[rule.pk]),
                        rule_form(rule, effective_until=TODAY.isoformat()))
    assert ended.status_code == 302
    rule.refresh_from_db()
    assert rule.effective_until == TODAY
    added = office.post(reverse("admin:points_rule_add"), rule_form(
        rule, name="服务时长积分（新）", points_per_unit="1.50", effective_from=(TODAY + timedelta(days=1)).isoformat(),
        effective_until=""))
    assert added.status_code == 302
    assert Rule.objects.get(name="服务时长积分（新）").points_per_unit == Decimal("1.50")


@pytest.mark.parametrize("change, message", [
    ({"effective_until": (TODAY - timedelta(days=5)).isoformat()}, "失效日期最早只能是昨天（2026-11-17）"),
    ({"cap_per_day": "4.0"}, "不能再改每人每日上限（积分）"),
    ({"activity_kinds": ["patrol"]}, "不能再改适用活动类型"),
])
def test_other_retroactive_changes_are_refused_too(office, change, message):
    rule = hours_rule()
    response = office.post(reverse("admin:points_rule_change", args=[rule.pk]), rule_form(rule, **change))
    assert response.status_code == 200 and message in response.content.decode()
    assert Rule.objects.get(pk=rule.pk).effective_until is None


def test_a_new_rule_cannot_start_in_the_past(office):
    response = office.post(reverse("admin:points_rule_add"), rule_form(
        hours_rule(), name="补发规则", effective_from=(TODAY - timedelta(days=30)).isoformat()))
    assert response.status_code == 200
    assert "生效日期不能早于今天（2026-11-18）" in response.content.decode()
    assert not Rule.objects.filter(name="补发规则").exists()


def test_a_rule_that_earns_for_a_kind_without_service_records_is_refused(office):
    response = office.post(reverse("admin:points_rule_add"), rule_form(
        hours_rule(), name="问题上报时长", activity_kinds=["problem_report"], effective_from=TODAY.isoformat()))
    assert response.status_code == 200
    assert Rule.objects.filter(name="问题上报时长").count() == 0


def test_only_a_rule_not_started_yet_may_be_deleted(office):
    coming = Rule.objects.create(name="明年规则", measure="activity", points_per_unit="1.00",
                                 effective_from=TODAY + timedelta(days=10))
    assert office.get(reverse("admin:points_rule_delete", args=[hours_rule().pk])).status_code == 403
    assert office.post(reverse("admin:points_rule_delete", args=[coming.pk]), {"post": "yes"}).status_code == 302
    assert not Rule.objects.filter(pk=coming.pk).exists()
    listing = office.get(reverse("admin:points_rule_changelist")).content.decode()
    assert "delete_selected" not in listing  # no bulk deletion of rules in force


def test_the_settings_are_one_row_never_deleted(office):
    Scheme.current()
    assert office.get(reverse("admin:points_scheme_add")).status_code == 403
    assert office.get(reverse("admin:points_scheme_delete", args=[1])).status_code == 403
    listing = office.get(reverse("admin:points_scheme_changelist"))
    assert listing.status_code == 302 and listing["Location"] == reverse("admin:points_scheme_change", args=[1])
    saved = office.post(reverse("admin:points_scheme_change", args=[1]), {"yearly_expiry": "on"})
    assert saved.status_code == 302 and Scheme.current().yearly_expiry is True


def test_redemptions_and_entries_are_read_never_written_in_the_admin(office, crew):
    services.adjust(person=crew["volunteer"], amount=10, reason="开户", by=crew["staff"].user)
    services.adjust(person=crew["teammate"], amount=3, reason="开户", by=crew["staff"].user)
    soap = Item.objects.create(name="洗衣皂", price=2, stock=5)
    redemption = services.redeem(person=crew["volunteer"], item=soap, quantity=1, place="服务中心", by=crew["staff"].user)
    entry = Entry.objects.filter(person=crew["volunteer"]).first()
    for model, obj in (("entry", entry), ("redemption", redemption)):
        assert office.get(reverse(f"admin:points_{model}_add")).status_code == 403, model
        assert office.get(reverse(f"admin:points_{model}_delete", args=[obj.pk])).status_code == 403, model
        view = office.get(reverse(f"admin:points_{model}_change", args=[obj.pk]))
        assert view.status_code == 200 and 'name="_save"' not in view.content.decode(), model
        changed = office.post(reverse(f"admin:points_{model}_change", args=[obj.pk]), {"amount": "999", "quantity": "9"})
        assert changed.status_code == 403, model
    found = office.get(reverse("admin:points_entry_changelist"), {"q": "李同伴"})
    assert found.status_code == 200 and list(found.context["cl"].result_list) == [Entry.objects.get(person=crew["teammate"])]
    by_kind = office.get(reverse("admin:points_entry_changelist"), {"kind__exact": "redemption"})
    assert list(by_kind.context["cl"].result_list) == [redemption.entry]
    assert office.get(reverse("admin:points_redemption_changelist"), {"q": "张志愿"}).context["cl"].result_count == 1
    assert Redemption.objects.get().quantity == 1 and Entry.objects.get(pk=entry.pk).amount == entry.amount


def test_the_catalogue_is_edited_in_the_admin(office):
    added = office.post(reverse("admin:points_item_add"), {"name": "环保袋", "description": "", "price": "3", "stock": "20",
                                                           "is_active": "on"})
    assert added.status_code == 302 and Item.objects.get(name="环保袋").stock == 20
    refused = office.post(reverse("admin:points_item_add"), {"name": "白送", "price": "0", "stock": "1"})
    assert refused.status_code == 200 and not Item.objects.filter(name="白送").exists()


def item_form(item, **change):
    return {"name": item.name, "description": item.description, "price": str(item.price),
            "is_active": "on" if item.is_active else "", **change}


def test_a_stock_edit_adds_to_the_stock_and_never_undoes_a_redemption(office, crew):
    services.adjust(person=crew["volunteer"], amount=10, reason="开户", by=crew["staff"].user)
    soap = Item.objects.create(name="洗衣皂", price=2, stock=5)
    url = reverse("admin:points_item_change", args=[soap.pk])
    shown = office.get(url).content.decode()
    assert "入库（+）或出库（−）件数" in shown and 'name="stock"' not in shown  # the stock is shown, not an input
    # While the page is open, the desk redeems one.
    services.redeem(person=crew["volunteer"], item=soap, quantity=1, place="服务中心", by=crew["staff"].user)
    # The page is saved with 20 come in (and the stock it showed, which a browser could still send).
    saved = office.post(url, item_form(soap, stock="5", stock_change="20", description="100 克"))
    assert saved.status_code == 302
    soap.refresh_from_db()
    assert (soap.stock, soap.description) == (24, "100 克")  # 5 − 1 redeemed + 20
    # Nothing typed: the stock stays as it is.
    assert office.post(url, item_form(soap, stock="99")).status_code == 302
    soap.refresh_from_db()
    assert soap.stock == 24


def test_more_out_than_in_stock_is_refused_in_words(office):
    soap = Item.objects.create(name="洗衣皂", price=2, stock=3)
    url = reverse("admin:points_item_change", args=[soap.pk])
    refused = office.post(url, item_form(soap, stock_change="-4"))
    assert refused.status_code == 200 and "库存现在只有 3 件，不能出库 4 件。" in refused.content.decode()
    soap.refresh_from_db()
    assert soap.stock == 3
    assert office.post(url, item_form(soap, stock_change="-3")).status_code == 302
    soap.refresh_from_db()
    assert soap.stock == 0


def test_the_item_list_does_not_edit_the_stock(office):
    soap = Item.objects.create(name="洗衣皂", price=2, stock=5)
    url = reverse("admin:points_item_changelist")
    listing = office.get(url).content.decode()
    assert 'name="form-0-stock"' not in listing and 'name="form-0-is_active"' in listing
    saved = office.post(url, {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": str(soap.pk),
                              "form-0-stock": "50", "_save": "保存"})
    assert saved.status_code == 302
    soap.refresh_from_db()
    assert soap.stock == 5 and not soap.is_active  # the box was unticked; the stock not touched
