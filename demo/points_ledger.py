"""The demo's points (积分制): every credit made through points.services at the moment its review or
move happened, a small catalogue (积分超市), redemptions by the office's staff at the villages'
service points and the representatives' homes, and a few staff adjustments with their reasons.

The credits: the writer and the closed loop call `credit_review` and `credit_move` right after each
review and move, with the demo's clock there (clock.frozen_at), so each entry carries the time it
would have had. The points receivers, which run after each commit, then find the entries made (every
entry has a key) and add nothing; they never run inside a test's transaction, these calls do.

`write_shop` runs last, from its own random stream (the plan's seed): it spends only what a person
had at that moment and never leaves a balance below zero later on. Demo items carry DEMO_NOTE in
their description (reset.py finds them by it); redemptions and adjustments are the demo people's.
"""

from __future__ import annotations

import bisect
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from people.models import Role
from points import services as points_services
from points.models import Entry, Item

from .clock import frozen_at
from .planner import DEMO_NOTE, TZ, Plan

# Redemption client uuids are uuid5 in this namespace: a seed always gives the same ones.
UUID_NAMESPACE = uuid.UUID("0c5e7a1d-3b8f-4e62-9d41-7a2f6c8b9e10")
DEMO_TAG = "（演示）"  # added to a demo item's name when a real item has it already

# name, what it is, price in points, stock at the start. Priced so that an hour of service a week
# buys a towel in a month or two (as the schemes running elsewhere: 1 point an hour).
CATALOGUE = [
    ("毛巾", "纯棉毛巾一条", 5, 120),
    ("洗衣液", "2 千克装", 10, 80),
    ("手电筒", "充电式强光手电，巡河夜间照明", 15, 40),
    ("保温杯", "不锈钢保温杯 500 毫升", 20, 40),
    ("雨衣", "分体式雨衣雨裤，汛期巡河用", 25, 30),
]
REDEMPTIONS = 36  # a few dozen over the scheme's months, as far as people have the points
# (amount, reason): what the office added or took back by hand, each for a keen volunteer.
ADJUSTMENTS = [
    (Decimal("5"), "参加区河长办组织的河湖巡护志愿者培训，按积分办法奖励"),
    (Decimal("10"), "汛期协助村委会转移河滩群众，区河长办通报表扬加分"),
    (Decimal("-1.5"), "同一次清漂被队员重复提交，扣回重复计入的垃圾积分"),
]


def credit_review(activity) -> None:
    """A demo activity just reviewed (its reviewed_at set to the planned moment): a verified one earns
    its points at that moment. The service reads the review from the database; a rejection earns nothing."""
    with frozen_at(activity.reviewed_at):
        points_services.credit_activity(activity_id=activity.pk)


def credit_move(event) -> None:
    """A move just made on a demo problem (the clock is at its moment): the reporter's points."""
    points_services.on_problem_event(event=event)


@dataclass
class ShopResult:
    items: int = 0
    redemptions: int = 0
    adjustments: int = 0


class _Balances:
    """The demo people's entries as (at, amount), in time order: what a person has at a moment, and
    what they may spend then so that no later moment finds their balance below zero."""

    def __init__(self, person_ids):
        self.entries = {}
        for person_id, at, amount in (Entry.objects.filter(person_id__in=person_ids)
                                      .order_by("at", "id").values_list("person_id", "at", "amount")):
            self.entries.setdefault(person_id, []).append((at, amount))

    def spendable(self, person_id, moment) -> Decimal:
        """The balance at `moment`, less anything a later entry (a reversal, a spending) will need."""
        running, before, least_after = Decimal(0), Decimal(0), None
        for at, amount in self.entries.get(person_id, []):
            running += amount
            if at <= moment:
                before = running
            else:
                least_after = running if least_after is None else min(least_after, running)
        return before if least_after is None else min(before, least_after)

    def add(self, person_id, moment, amount):
        rows = self.entries.setdefault(person_id, [])
        bisect.insort(rows, (moment, amount), key=lambda row: row[0])


def _office_hours(day, rng):
    return datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59)), tzinfo=TZ)


def _place(person, rng, stations_by_town):
    """Where a person takes their item: their village's 积分超市, or the representatives' home of their town."""
    stations = stations_by_town.get(person.town.code if person.town_id else None, [])
    if person.village_id and (not stations or rng.random() < 0.7):
        name = person.village.name
        village = name[:-3] + "村" if name.endswith("村委会") else name.replace("居委会", "社区")
        return f"{village}积分超市"
    if stations:
        return rng.choice(stations)
    return "区河长制办公室"


def _write_items():
    """The demo's catalogue. A name a real item has already gets DEMO_TAG."""
    taken = set(Item.objects.values_list("name", flat=True))
    items = []
    for name, description, price, stock in CATALOGUE:
        item = Item(name=name if name not in taken else f"{name}{DEMO_TAG}", description=f"{DEMO_NOTE} {description}",
                    price=price, stock=stock)
        item.full_clean()
        item.save()
        items.append(item)
    return items


def write_shop(plan: Plan, directory, network) -> ShopResult:
    """The catalogue, then the staff's adjustments and the redemptions, each at its moment in the
    months since the demo people first earned."""
    result = ShopResult()
    rng = random.Random(f"{plan.seed}/points-shop")
    items = _write_items()
    result.items = len(items)

    people = directory.people
    keys_by_id = {person.pk: key for key, person in people.items()}
    staff = [directory.users[p.key] for p in plan.people if p.role == Role.STAFF and p.key in directory.users]
    first_entry = Entry.objects.filter(person_id__in=list(keys_by_id)).order_by("at").values_list("at", flat=True).first()
    if not staff or first_entry is None:
        return result
    # People find their way to the office and the shop a month or so after they first earn.
    first_day = first_entry.astimezone(TZ).date() + timedelta(days=30)
    if first_day > plan.end:
        return result
    span = (plan.end - first_day).days
    balances = _Balances(list(keys_by_id))

    # Adjustments: the first for the story's volunteer (who opens the phone to see it), the others
    # for the keenest volunteers by what they earned.
    earned = {pk: sum(amount for _at, amount in balances.entries.get(pk, [])) for pk in keys_by_id}
    keen = sorted((pk for pk in keys_by_id if people[keys_by_id[pk]].role == Role.VOLUNTEER),
                  key=lambda pk: (-earned[pk], keys_by_id[pk]))
    story = people.get(plan.logins.get("volunteer"))
    if story is not None:
        keen = [story.pk] + [pk for pk in keen if pk != story.pk]
    for number, (amount, reason) in enumerate(ADJUSTMENTS):
        moment = _office_hours(first_day + timedelta(days=rng.randint(0, span)), rng)
        candidates = [pk for pk in keen if amount > 0 or balances.spendable(pk, moment) >= -amount]
        if not candidates:
            continue
        person_id = candidates[min(number, len(candidates) - 1)]
        with frozen_at(moment):
            points_services.adjust(person=people[keys_by_id[person_id]], amount=amount, reason=reason,
                                   by=rng.choice(staff), key=f"demo-{plan.seed}-{plan.end}-{number}")
        balances.add(person_id, moment, amount)
        result.adjustments += 1

    # Redemptions: at each moment, someone who has the points for an item in stock takes it.
    stations_by_town = {}
    for name, town, _xy in network.stations:
        stations_by_town.setdefault(town, []).append(name)
    moments = sorted(_office_hours(first_day + timedelta(days=rng.randint(0, span)), rng) for _ in range(REDEMPTIONS))
    for number, moment in enumerate(moments):
        in_stock = [item for item in items if item.stock > 0]
        if not in_stock:
            break
        cheapest = min(item.price for item in in_stock)
        able = sorted((keys_by_id[pk], pk, balances.spendable(pk, moment)) for pk in keys_by_id)
        able = [row for row in able if row[2] >= cheapest]
        if not able:
            continue
        # Those with more points come more often, and take the dearer things.
        _key, person_id, spendable = rng.choices(able, weights=[float(row[2]) for row in able])[0]
        person = people[keys_by_id[person_id]]
        affordable = [item for item in in_stock if item.price <= spendable]
        item = rng.choices(affordable, weights=[item.price for item in affordable])[0]
        quantity = 2 if item.price * 2 <= spendable and item.stock >= 2 and rng.random() < 0.25 else 1
        with frozen_at(moment):
            points_services.redeem(
                person=person, item=item, quantity=quantity, place=_place(person, rng, stations_by_town),
                by=rng.choice(staff), client_uuid=uuid.uuid5(UUID_NAMESPACE, f"{plan.seed}/{plan.end}/{number}"),
            )
        item.refresh_from_db(fields=["stock"])
        balances.add(person_id, moment, -Decimal(item.price * quantity))
        result.redemptions += 1
    return result
