"""manage.py seed_demo, the points (积分制): credits through points.services at the moment of each review
and move, a catalogue, redemptions and adjustments that never overdraw, and a reset that removes the
demo's points and nothing else."""

import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from demo import points_ledger, reset
from demo.planner import DEMO_NOTE
from patrols.models import Activity
from people.models import Person, Role
from points import selectors, services
from points.models import Entry, Item, Redemption
from problems.models import ProblemEvent
from tests.support.factories import make_person

SMALL = 0.04


def seed(**options):
    out = io.StringIO()
    call_command("seed_demo", scale=SMALL, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def ledger_sums():
    with connection.cursor() as cursor:
        cursor.execute("SELECT person_id, SUM(amount) FROM points_entry GROUP BY person_id")
        return dict(cursor.fetchall())


def test_the_demo_earns_spends_and_adjusts_points_through_the_services(district_data):
    output = seed()
    people = list(reset.demo_people())
    sums = ledger_sums()
    # Every balance is the sum of the person's entries, and no moment finds one below zero.
    for person in people:
        assert selectors.balance(person) == sums.get(person.pk, 0), person.name
    running = defaultdict(Decimal)
    for person_id, amount in Entry.objects.order_by("at", "id").values_list("person_id", "amount"):
        running[person_id] += amount
        assert running[person_id] >= 0, person_id
    earners = [person for person in people if sums.get(person.pk, 0) > 0]
    assert len(earners) >= 5
    assert {person.role for person in earners} >= {Role.VOLUNTEER}
    assert "积分" in output and "兑换" in output

    # Credits carry the moment of the review or the move that made them, and its maker.
    credits = Entry.objects.filter(kind=Entry.Kind.CREDIT)
    verified = Activity.objects.filter(status=Activity.Status.VERIFIED, point_entries__isnull=False).distinct()
    assert verified.exists() and credits.filter(problem__isnull=False).exists()
    for activity in verified:
        for entry in activity.point_entries.all():
            assert (entry.at, entry.made_by_id) == (activity.reviewed_at, activity.reviewed_by_id)
    for entry in credits.filter(problem__isnull=False).select_related("problem"):
        assert ProblemEvent.objects.filter(problem=entry.problem, at=entry.at, actor=entry.made_by).exists()
    # Nothing waiting for review or rejected earned anything; and nothing the ledger should hold is missing.
    assert not credits.exclude(activity=None).exclude(activity__status=Activity.Status.VERIFIED).exists()
    assert services.replay() == 0

    # The shop: the demo's items, each redemption made by the office's staff at a service point.
    items = list(Item.objects.filter(description__startswith=DEMO_NOTE))
    assert {item.name for item in items} == {"洗衣液", "毛巾", "雨衣", "手电筒", "保温杯"}
    redemptions = list(Redemption.objects.select_related("entry", "item", "made_by__person"))
    assert len(redemptions) >= 3
    for redemption in redemptions:
        assert redemption.entry.amount == -redemption.points == -redemption.item.price * redemption.quantity
        assert redemption.made_by.person.role == Role.STAFF
        assert redemption.place.endswith(("积分超市", "代表之家", "代表联络站", "办公室")), redemption.place
    for item in items:
        sold = sum(r.quantity for r in redemptions if r.item_id == item.pk)
        start = next(stock for name, _d, _p, stock in points_ledger.CATALOGUE if name == item.name)
        assert item.stock == start - sold
    adjustments = Entry.objects.filter(kind=Entry.Kind.ADJUSTMENT)
    assert adjustments.count() == len(points_ledger.ADJUSTMENTS)
    assert all(entry.reason.startswith("人工调整：") and entry.made_by.person.role == Role.STAFF for entry in adjustments)
    # The story's volunteer opens the phone to points of their own, and the office's bonus among them.
    volunteer = Person.objects.get(user__username="demo-volunteer")
    assert selectors.balance(volunteer) > 0
    assert adjustments.filter(person=volunteer, amount=points_ledger.ADJUSTMENTS[0][0]).exists()


def test_reset_removes_the_demo_points_and_keeps_real_ones(district_data):
    office = make_person(name="河长办真实工作人员", role="staff")
    real = make_person(name="真实志愿者")
    services.adjust(person=real, amount="20", reason="线下活动补记", by=office.user)
    soap = Item.objects.create(name="洗衣液", price=10, stock=5)  # the office's own, with a demo item's name
    services.redeem(person=real, item=soap, quantity=1, place="区河长制办公室", by=office.user)
    kept = (set(Entry.objects.values_list("id", flat=True)), set(Redemption.objects.values_list("id", flat=True)))

    seed()
    assert Entry.objects.count() > len(kept[0]) and Redemption.objects.count() > len(kept[1])
    assert Item.objects.filter(name="洗衣液（演示）").exists()  # the office's name taken: marked
    removed = reset.delete_demo_data()

    assert removed["point_entries"] > 0 and removed["redemptions"] > 0 and removed["items"] == 5
    assert (set(Entry.objects.values_list("id", flat=True)), set(Redemption.objects.values_list("id", flat=True))) == kept
    assert list(Item.objects.values_list("name", "stock")) == [("洗衣液", 4)]
    assert selectors.balance(real) == 10
    # The purge was for the reset's own rows: the ledger refuses a deletion again.
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(person=real).delete()
    # And seeding again gives the same points.
    seed()
    assert Entry.objects.exclude(id__in=kept[0]).count() == removed["point_entries"]


def test_reseeding_after_a_reset_gives_the_same_points(district_data):
    def points():
        return (
            sorted(Entry.objects.values_list("person__name", "kind", "amount", "earned_on", "at", "cause")),
            sorted(Redemption.objects.values_list("person__name", "item__name", "quantity", "points", "place", "at")),
            sorted(Item.objects.values_list("name", "price", "stock")),
        )

    seed()
    first = points()
    seed(reset=True)
    assert points() == first


def test_reset_refuses_when_a_demo_login_wrote_points_for_a_real_person(district_data):
    seed()
    real = make_person(name="真实志愿者")
    demo_staff = Person.objects.get(user__username="demo-staff")
    services.adjust(person=real, amount="3", reason="演示账号误操作", by=demo_staff.user)
    before = (Entry.objects.count(), Redemption.objects.count(), Item.objects.count(), Person.objects.count())
    with pytest.raises(CommandError, match="积分记录"):
        seed(reset=True)
    assert (Entry.objects.count(), Redemption.objects.count(), Item.objects.count(), Person.objects.count()) == before


def test_a_failure_in_the_shop_leaves_no_demo_points(district_data, monkeypatch):
    real = make_person(name="真实志愿者")
    services.adjust(person=real, amount="2", reason="线下活动补记", by=make_person(name="工作人员", role="staff").user)

    def out_of_stock(**kwargs):
        raise RuntimeError("the shop's database went away")

    monkeypatch.setattr(points_ledger.points_services, "redeem", out_of_stock)
    with pytest.raises(RuntimeError):
        seed()
    assert not reset.demo_people().exists() and not Activity.objects.exists()
    assert list(Entry.objects.values_list("person__name", flat=True)) == ["真实志愿者"]
    assert not Item.objects.exists() and Entry.objects.aggregate(total=Sum("amount"))["total"] == 2
