"""The ledger: credits on verification, reversals, idempotency, caps, rule changes, adjustments,
redemption, expiry; and that a balance is always the sum of the entries."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from patrols import services as patrol_services
from patrols.models import Activity
from patrols.signals import activity_reviewed
from points import selectors, services
from points.models import Entry, Item, Measure, Rule, Scheme

D = Decimal


def ledger_sum(person):
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(amount), 0) FROM points_entry WHERE person_id = %s", [person.pk])
        return cursor.fetchone()[0]


def test_verification_credits_everyone_counted_by_the_rules_of_its_day(crew, record, review):
    cleanup = record(crew["volunteer"], hours=1.5, participants=[crew["teammate"]], debris_kg=30)
    assert Entry.objects.count() == 0  # waiting for review: nothing yet
    review(cleanup, crew["leader"])
    for person in (crew["volunteer"], crew["teammate"]):
        # 1.5 h × 1 point, and half of 30 kg × 0.1 point
        assert sorted(Entry.objects.filter(person=person).values_list("amount", flat=True)) == [D("1.5"), D("1.5")]
        assert selectors.balance(person) == D("3.0") == ledger_sum(person)
    entry = Entry.objects.filter(person=crew["volunteer"], rule__measure=Measure.HOURS).get()
    assert entry.activity == cleanup and entry.made_by == crew["leader"].user
    assert entry.cause == Entry.Cause.ACTIVITY_VERIFIED and entry.earned_on == date(2026, 5, 1)
    assert "清漂保洁 #%d 审核通过" % cleanup.pk in entry.reason and "1.5 小时" in entry.reason


def test_waiting_activities_show_as_pending_not_as_points(crew, record):
    record(crew["volunteer"], hours=1.0)
    waiting = selectors.pending(crew["volunteer"])
    assert [item.points for item in waiting] == [D("1.0")]
    assert selectors.balance(crew["volunteer"]) == 0


def test_a_rejected_activity_earns_nothing_and_a_skipped_participant_nothing(crew, record, review):
    rejected = record(crew["volunteer"], hours=1.0)
    review(rejected, crew["leader"], "reject")
    first = record(crew["teammate"], hours=2.0, start="08:00")
    # The same walk submitted again by the volunteer naming the teammate: the teammate is already serving.
    second = record(crew["volunteer"], hours=2.0, start="08:30", day="2026-05-01", participants=[crew["teammate"]])
    assert [entry["person"] for entry in second.skipped_participants] == [crew["teammate"].pk]
    review(first, crew["leader"])
    review(second, crew["leader"])
    assert selectors.balance(crew["teammate"]) == D("2.0")  # once, for the first
    assert not Entry.objects.filter(activity=rejected).exists()


def test_the_same_verification_heard_twice_credits_once(crew, record, review):
    cleanup = record(crew["volunteer"], hours=1.0)
    review(cleanup, crew["leader"])
    activity_reviewed.send(sender=Activity, activity=cleanup, decision="verify", previous_status="submitted")
    services.credit_activity(activity_id=cleanup.pk)
    assert Entry.objects.filter(activity=cleanup).count() == 1
    assert selectors.balance(crew["volunteer"]) == D("1.0")


def test_the_database_refuses_a_second_entry_with_the_same_key_and_any_edit(crew, record, review):
    cleanup = record(crew["volunteer"], hours=1.0)
    review(cleanup, crew["leader"])
    entry = Entry.objects.get(activity=cleanup)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(person=entry.person, amount=5, kind="credit", reason="again", cause="staff",
                             earned_on=entry.earned_on, at=entry.at, key=entry.key)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    assert Entry.objects.get(pk=entry.pk).amount == D("1.0")


def test_overturning_a_verification_reverses_by_new_entries(crew, record, review, django_capture_on_commit_callbacks):
    cleanup = record(crew["volunteer"], hours=1.0, participants=[crew["teammate"]])
    review(cleanup, crew["leader"])
    credits = list(Entry.objects.filter(activity=cleanup).values_list("pk", "amount"))
    with django_capture_on_commit_callbacks(execute=True):
        patrol_services.overturn_verification(activity=cleanup, by=crew["staff"].user, note="当天未到现场")
    assert list(Entry.objects.filter(pk__in=[pk for pk, _ in credits]).values_list("pk", "amount")) == credits
    reversals = Entry.objects.filter(activity=cleanup, kind=Entry.Kind.REVERSAL)
    assert reversals.count() == 2 and all("当天未到现场" in r.reason for r in reversals)
    assert selectors.balance(crew["volunteer"]) == 0 == selectors.balance(crew["teammate"])
    services.reverse_activity(activity_id=cleanup.pk)  # replayed: nothing more
    assert reversals.count() == 2


def test_removing_a_participant_reverses_only_their_part(crew, record, review, django_capture_on_commit_callbacks):
    cleanup = record(crew["volunteer"], hours=1.0, participants=[crew["teammate"]])
    review(cleanup, crew["leader"])
    with django_capture_on_commit_callbacks(execute=True):
        patrol_services.remove_participant(activity=cleanup, person=crew["teammate"], by=crew["staff"].user,
                                           reason="未参加")
    assert selectors.balance(crew["teammate"]) == 0
    assert selectors.balance(crew["volunteer"]) == D("1.0")
    reversal = Entry.objects.get(person=crew["teammate"], kind=Entry.Kind.REVERSAL)
    assert reversal.made_by == crew["staff"].user and "未参加" in reversal.reason


def test_caps_per_activity_and_per_day(crew, record, review):
    long_one = record(crew["volunteer"], hours=4.0, start="06:00")
    review(long_one, crew["leader"])
    hours_entry = Entry.objects.get(activity=long_one)
    assert hours_entry.amount == D("2.0") and "最多计 2" in hours_entry.reason  # 海林: at most 2 hours count
    for start in ("11:00", "14:00", "17:00", "20:00"):
        review(record(crew["volunteer"], hours=2.0, start=start), crew["leader"])
    day_total = Entry.objects.filter(person=crew["volunteer"], earned_on=date(2026, 5, 1)).aggregate(t=Sum("amount"))["t"]
    assert day_total == D("8.0")  # the day's cap, not 10
    capped = Entry.objects.filter(person=crew["volunteer"]).order_by("id").last()
    assert capped.amount == 0 and "每日上限" in capped.reason
    # Another day is a fresh cap.
    review(record(crew["volunteer"], hours=2.0, day="2026-05-02"), crew["leader"])
    assert selectors.balance(crew["volunteer"]) == D("10.0")


def test_a_rule_change_never_reaches_back(crew, record, review, clock):
    before = record(crew["volunteer"], hours=1.0, day="2026-11-10")
    review(before, crew["leader"])
    waiting = record(crew["volunteer"], hours=1.0, day="2026-11-17")  # done before the change, verified after
    hours_rule = Rule.objects.get(measure=Measure.HOURS)
    staff = crew["staff"].user
    hours_rule.effective_until = date(2026, 11, 30)
    services.save_rule(rule=hours_rule, by=staff)
    doubled = Rule(name="服务时长积分（新）", measure=Measure.HOURS, points_per_unit=2, cap_per_activity=2,
                   effective_from=date(2026, 12, 1))
    services.save_rule(rule=doubled, by=staff)
    clock.move_to("2026-12-05 10:00 +08:00")
    after = record(crew["volunteer"], hours=1.0, day="2026-12-02")
    review(waiting, crew["leader"])
    review(after, crew["leader"])
    assert Entry.objects.get(activity=before).amount == D("1.0")
    assert Entry.objects.get(activity=waiting).amount == D("1.0")  # its day's rule
    assert Entry.objects.get(activity=after).amount == D("2.0")


def test_rules_refuse_retroactive_changes(crew):
    staff = crew["staff"].user
    rule = Rule.objects.get(measure=Measure.HOURS)  # in force since 2026-01-01
    rule.points_per_unit = 5
    with pytest.raises(ValidationError) as refused:
        services.save_rule(rule=rule, by=staff)
    assert "规则不追溯" in str(refused.value)
    backdated = Rule(name="补记", measure=Measure.ACTIVITY, points_per_unit=1, effective_from=date(2026, 11, 1))
    with pytest.raises(ValidationError) as refused:
        services.save_rule(rule=backdated, by=staff)
    assert "不能早于今天" in str(refused.value)
    rule.refresh_from_db()
    rule.effective_until = date(2026, 10, 1)  # would drop service waiting for review
    with pytest.raises(ValidationError):
        services.save_rule(rule=rule, by=staff)
    with pytest.raises(PermissionDenied):
        services.save_rule(rule=Rule(name="x", measure="activity", points_per_unit=1, effective_from=date(2027, 1, 1)),
                           by=crew["leader"].user)


def test_adjustments_need_staff_and_a_reason(crew):
    with pytest.raises(ValidationError):
        services.adjust(person=crew["volunteer"], amount=5, reason="  ", by=crew["staff"].user)
    with pytest.raises(PermissionDenied):
        services.adjust(person=crew["volunteer"], amount=5, reason="补录", by=crew["leader"].user)
    services.adjust(person=crew["volunteer"], amount=5, reason="补录 3 月纸质记录", by=crew["staff"].user, key="k1")
    services.adjust(person=crew["volunteer"], amount=5, reason="补录 3 月纸质记录", by=crew["staff"].user, key="k1")
    entry = Entry.objects.get(person=crew["volunteer"])
    assert entry.amount == 5 and "补录 3 月纸质记录" in entry.reason and entry.made_by == crew["staff"].user


def test_redemption_spends_points_but_never_service_hours(crew, record, review):
    cleanup = record(crew["volunteer"], hours=2.0)
    review(cleanup, crew["leader"])
    soap = Item.objects.create(name="洗衣液", price=2, stock=3)
    hours_before = crew["volunteer"].service_records.aggregate(h=Sum("hours"))["h"]
    services.redeem(person=crew["volunteer"], item=soap, quantity=1, place="花果街道志愿服务站", by=crew["staff"].user)
    assert selectors.balance(crew["volunteer"]) == 0
    with pytest.raises(ValidationError) as refused:
        services.redeem(person=crew["volunteer"], item=soap, quantity=1, place="服务站", by=crew["staff"].user)
    assert "积分不足" in str(refused.value)
    soap.refresh_from_db()
    assert soap.stock == 2
    assert crew["volunteer"].service_records.aggregate(h=Sum("hours"))["h"] == hours_before


@pytest.mark.django_db(transaction=True)
def test_two_redemptions_at_once_cannot_overspend(crew):
    services.adjust(person=crew["volunteer"], amount=10, reason="起始积分", by=crew["staff"].user)
    # Two different items, so nothing but the person's own lock keeps the two apart.
    items = [Item.objects.create(name="水桶", price=8, stock=10), Item.objects.create(name="雨衣", price=8, stock=10)]
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(item):
        try:
            barrier.wait()
            services.redeem(person=crew["volunteer"], item=item, quantity=1, place="服务站", by=crew["staff"].user)
            outcomes.append("made")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["made", "refused"]
    assert selectors.balance(crew["volunteer"]) == D("2.0")
    assert sorted(Item.objects.filter(pk__in=[item.pk for item in items]).values_list("stock", flat=True)) == [9, 10]


def test_the_database_refuses_a_redemption_entry_that_overdraws(crew):
    soap = Item.objects.create(name="洗衣液", price=2, stock=3)
    from django.utils import timezone

    from points.models import Redemption

    redemption = Redemption.objects.create(person=crew["volunteer"], item=soap, quantity=1, points=2, place="站",
                                           made_by=crew["staff"].user, at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(person=crew["volunteer"], amount=-2, kind="redemption", redemption=redemption, reason="兑换",
                             cause="staff", made_by=crew["staff"].user, earned_on=date(2026, 11, 18),
                             at=timezone.now(), key="redemption:x")


def test_yearly_expiry_is_off_by_default_and_clears_the_year_end_balance(crew, clock):
    services.adjust(person=crew["volunteer"], amount=7, reason="2026 年积分", by=crew["staff"].user)
    with pytest.raises(ValidationError):
        services.expire_year(year=2026, today=date(2027, 1, 1))  # off by default
    Scheme.objects.update_or_create(pk=1, defaults={"yearly_expiry": True})
    with pytest.raises(ValidationError):
        services.expire_year(year=2026, today=date(2026, 12, 31))  # the year is not over
    clock.move_to("2027-01-01 00:05 +08:00")
    services.adjust(person=crew["volunteer"], amount=3, reason="2027 年积分", by=crew["staff"].user)
    assert services.expire_year(year=2026) == 1
    assert services.expire_year(year=2026) == 0  # repeated: nothing more
    assert selectors.balance(crew["volunteer"]) == D("3.0") == ledger_sum(crew["volunteer"])
    assert Entry.objects.get(kind=Entry.Kind.EXPIRY).earned_on == date(2026, 12, 31)


def test_balances_are_the_sum_of_entries_through_every_kind_of_entry(crew, record, review, clock,
                                                                       django_capture_on_commit_callbacks):
    volunteer, teammate, staff = crew["volunteer"], crew["teammate"], crew["staff"].user
    kept = record(volunteer, hours=1.5, participants=[teammate], debris_kg=20, day="2026-06-01")  # 1.5 + 1.0 each
    review(kept, crew["leader"])
    overturned = record(volunteer, hours=1.0, day="2026-06-02")  # +1.0, then reversed
    review(overturned, crew["leader"])
    with django_capture_on_commit_callbacks(execute=True):
        patrol_services.overturn_verification(activity=overturned, by=staff, note="重复提交")
    services.adjust(person=volunteer, amount=D("4.5"), reason="补录纸质记录", by=staff)
    towel = Item.objects.create(name="毛巾", price=3, stock=5)
    services.redeem(person=volunteer, item=towel, quantity=1, place="服务站", by=staff)
    Scheme.objects.update_or_create(pk=1, defaults={"yearly_expiry": True})
    clock.move_to("2027-01-01 08:00 +08:00")
    services.expire_year(year=2026)
    expected = {volunteer: D("0.0"), teammate: D("0.0")}  # 2.5 + 1 - 1 + 4.5 - 3 = 4.0, then cleared at year end
    for person, value in expected.items():
        assert selectors.balance(person) == value == ledger_sum(person)
    assert Entry.objects.filter(person=volunteer, kind=Entry.Kind.EXPIRY).get().amount == D("-4.0")
    assert Entry.objects.filter(person=teammate, kind=Entry.Kind.EXPIRY).get().amount == D("-2.5")
    totals = selectors.totals(volunteer)
    assert (totals["earned"], totals["redeemed"], totals["expired"]) == (D("7.0"), D("3"), D("4.0"))


def test_reasons_are_stored_in_the_registers_language_whatever_the_reviewers_pages_are_in(crew, record, review):
    from django.utils import translation

    cleanup = record(crew["volunteer"], hours=1.0)
    with translation.override("en"):
        review(cleanup, crew["leader"])
        services.adjust(person=crew["volunteer"], amount=1, reason="补录", by=crew["staff"].user)
    reasons = sorted(Entry.objects.filter(person=crew["volunteer"]).values_list("reason", flat=True))
    assert reasons == ["人工调整：补录", f"清漂保洁 #{cleanup.pk} 审核通过：服务 1 小时 × 1 分（服务时长积分）"]


def test_a_reversal_gives_the_room_it_frees_under_the_daily_cap_to_the_credits_the_cap_cut(
        crew, record, review, django_capture_on_commit_callbacks):
    patrols = [record(crew["volunteer"], hours=2.0, start=start) for start in ("06:00", "09:00", "12:00", "15:00", "18:00")]
    for activity in patrols:
        review(activity, crew["leader"])
    assert selectors.balance(crew["volunteer"]) == D("8.0")  # the fifth was cut to 0 by the day's cap
    with django_capture_on_commit_callbacks(execute=True):
        patrol_services.overturn_verification(activity=patrols[0], by=crew["staff"].user, note="重复提交")
    # Four verified patrols of 2 points each are worth the cap: the fifth gets its 2 points now.
    assert selectors.balance(crew["volunteer"]) == D("8.0") == ledger_sum(crew["volunteer"])
    top_up = Entry.objects.get(activity=patrols[4], key__contains=":topup:")
    assert top_up.amount == D("2.0") and "每日上限腾出空间" in top_up.reason
    assert services.replay() == 0
    with django_capture_on_commit_callbacks(execute=True):
        patrol_services.overturn_verification(activity=patrols[4], by=crew["staff"].user, note="也是重复")
    assert selectors.balance(crew["volunteer"]) == D("6.0")  # its credit and its top-up both reversed


def test_an_ended_rule_cannot_be_reopened_over_days_already_past(crew, record, review, clock):
    staff = crew["staff"].user
    hours_rule = Rule.objects.get(measure=Measure.HOURS)
    hours_rule.effective_until = date(2026, 11, 17)
    services.save_rule(rule=hours_rule, by=staff)
    clock.move_to("2026-12-01 10:00 +08:00")
    hours_rule.refresh_from_db()
    hours_rule.effective_until = None
    with pytest.raises(ValidationError) as refused:
        services.save_rule(rule=hours_rule, by=staff)
    assert "不能再延长或重新启用" in str(refused.value)


def test_a_correction_may_leave_a_debt_and_nothing_is_redeemed_until_it_is_made_up(crew):
    staff = crew["staff"].user
    services.adjust(person=crew["volunteer"], amount=3, reason="补录", by=staff)
    services.adjust(person=crew["volunteer"], amount=-5, reason="3 月活动重复计分，已兑换", by=staff)
    assert selectors.balance(crew["volunteer"]) == D("-2.0")
    towel = Item.objects.create(name="毛巾", price=1, stock=5)
    with pytest.raises(ValidationError) as refused:
        services.redeem(person=crew["volunteer"], item=towel, quantity=1, place="服务站", by=staff)
    assert "积分不足" in str(refused.value)


@pytest.mark.django_db(transaction=True)
def test_a_participant_removed_while_their_credit_is_being_written_keeps_nothing(crew, record, monkeypatch):
    from django.db import OperationalError
    from django.utils import timezone

    cleanup = record(crew["volunteer"], hours=1.0, participants=[crew["teammate"]])
    Activity.objects.filter(pk=cleanup.pk).update(status="verified", reviewed_by=crew["leader"].user,
                                                  reviewed_at=timezone.now())
    records_read, removal_tried = threading.Event(), threading.Event()
    lock_people = services._lock_people

    def pausing_lock(person_ids):
        # The crediting has read the activity's records: the removal tries to slip in here.
        if threading.current_thread() is threading.main_thread() and not records_read.is_set():
            records_read.set()
            removal_tried.wait()
        return lock_people(person_ids)

    monkeypatch.setattr(services, "_lock_people", pausing_lock)

    def remove():
        # No timeouts anywhere: the suite also runs under faketime, whose clock stands still.
        try:
            records_read.wait()
            try:
                with transaction.atomic():
                    Activity.objects.select_for_update(nowait=True).get(pk=cleanup.pk)
                kept_out = False
            except OperationalError:
                kept_out = True  # the crediting holds the activity: the removal must wait for it
            if not kept_out:
                patrol_services.remove_participant(activity=cleanup, person=crew["teammate"], by=crew["staff"].user,
                                                   reason="未参加")
            removal_tried.set()
            if kept_out:
                patrol_services.remove_participant(activity=cleanup, person=crew["teammate"], by=crew["staff"].user,
                                                   reason="未参加")
        finally:
            removal_tried.set()
            connection.close()

    remover = threading.Thread(target=remove)
    remover.start()
    services.credit_activity(activity_id=cleanup.pk)
    remover.join()
    assert selectors.balance(crew["teammate"]) == 0
    assert selectors.balance(crew["volunteer"]) == D("1.0")
    assert services.replay() == 0