"""Reads of the points scheme: balances (always the sum of entries), what is still waiting for
review, a person's statement, the boards and a village's figures."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from patrols.models import Activity, ServiceRecord
from people.models import Person, Team
from riverwatch.dates import day_bounds, local_day, year_bounds

from . import rules
from .models import ACTIVITY_MEASURES, ZERO, Entry, Item, Redemption, Rule, Scheme

# What counts as earning on the boards: credits and their reversals, and staff corrections.
# Spending and the year-end clearing do not lower anyone's place.
EARNING_KINDS = (Entry.Kind.CREDIT, Entry.Kind.REVERSAL, Entry.Kind.ADJUSTMENT)


def balance(person) -> Decimal:
    return Entry.objects.filter(person=person).aggregate(total=Sum("amount"))["total"] or ZERO


def totals(person) -> dict:
    """Balance, everything earned and everything spent (redeemed or cleared), for the person's own page."""
    row = Entry.objects.filter(person=person).aggregate(
        balance=Sum("amount"),
        earned=Sum("amount", filter=Q(kind__in=EARNING_KINDS)),
        redeemed=Sum("amount", filter=Q(kind=Entry.Kind.REDEMPTION)),
        expired=Sum("amount", filter=Q(kind=Entry.Kind.EXPIRY)),
    )
    return {name: value or ZERO for name, value in row.items()} | {
        "redeemed": -(row["redeemed"] or ZERO), "expired": -(row["expired"] or ZERO)}


@dataclass
class Pending:
    activity: Activity
    points: Decimal


def pending(person) -> list[Pending]:
    """Points the person's activities still waiting for review would earn if verified, by today's
    reading of the rules in force on their days (the daily cap is applied when they are credited)."""
    records = list(ServiceRecord.objects.filter(person=person, activity__status=Activity.Status.SUBMITTED)
                   .select_related("activity").annotate(counted=Count("activity__service_records"))
                   .order_by("-activity__started_at"))
    rules_by_day = {}
    waiting = []
    for record in records:
        day = local_day(record.activity.started_at)
        if day not in rules_by_day:
            rules_by_day[day] = rules.rules_in_force(day, ACTIVITY_MEASURES)
        points = ZERO
        for rule in rules_by_day[day]:
            measured = rules.activity_units(rule, record.activity, record, record.counted)
            if measured is not None:
                points += rules.points_for(rule, measured[0])
        if points:
            waiting.append(Pending(activity=record.activity, points=points))
    return waiting


def pending_total(waiting: list[Pending]) -> Decimal:
    return sum((item.points for item in waiting), start=ZERO)


def statement(person):
    """Every entry of a person, newest first, with what it links to."""
    return (Entry.objects.filter(person=person)
            .select_related("rule", "activity", "problem", "redemption__item", "made_by", "reverses")
            .order_by("-at", "-id"))


def initials(name: str) -> str:
    """张三丰 → ZSF; Li Na → LN: how a person who asked for it appears on public boards."""
    letters = [syllable[:1].upper() for syllable in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
               if syllable[:1].isalpha()]
    return "".join(letters) or "—"


def public_name(person_name: str, initials_only: bool) -> str:
    return initials(person_name) if initials_only else person_name


def period_bounds(year: int, month: int | None) -> tuple[date, date]:
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    last = date(year + (month == 12), month % 12 + 1, 1).toordinal() - 1
    return date(year, month, 1), date.fromordinal(last)


def earned_in(first: date, last: date):
    """The entries that count on the boards (EARNING_KINDS) of contributions made on first … last."""
    return Entry.objects.filter(kind__in=EARNING_KINDS, earned_on__gte=first, earned_on__lte=last)


def board_people(first: date, last: date, *, limit=20) -> list[dict]:
    rows = (earned_in(first, last).values("person_id", "person__name", "person__board_initials_only",
                                           "person__village__name")
            .annotate(points=Sum("amount")).filter(points__gt=0).order_by("-points", "person_id")[:limit])
    return [{"rank": rank, "name": public_name(row["person__name"], row["person__board_initials_only"]),
             "village": row["person__village__name"] or "", "points": row["points"]}
            for rank, row in enumerate(rows, start=1)]


def board_villages(first: date, last: date, *, limit=20) -> list[dict]:
    rows = (earned_in(first, last).filter(person__village__isnull=False)
            .values(code=F("person__village__code"), name=F("person__village__name"), town=F("person__village__town__name"))
            .annotate(points=Sum("amount"), people=Count("person_id", distinct=True))
            .filter(points__gt=0).order_by("-points", "code")[:limit])
    return [{"rank": rank, **row} for rank, row in enumerate(rows, start=1)]


def board_teams(first: date, last: date, *, limit=20) -> list[dict]:
    """A person in two teams counts for both: each team's own members' points."""
    rows = (Team.objects.annotate(
        points=Sum("members__point_entries__amount", filter=Q(
            members__point_entries__kind__in=EARNING_KINDS, members__point_entries__earned_on__gte=first,
            members__point_entries__earned_on__lte=last)),
    ).filter(points__gt=0).values("id", "name", "kind", "points").order_by("-points", "name")[:limit])
    labels = dict(Team.Kind.choices)
    return [{"rank": rank, **row, "kind_display": labels.get(row["kind"], "")} for rank, row in enumerate(rows, start=1)]


def village_summary(village, year: int) -> dict:
    """A village's year: people of the village taking part (service records not rejected), their
    verified hours, the points they earned, and the most active people."""
    first, last = period_bounds(year, None)
    start, end = year_bounds(year)
    records = ServiceRecord.objects.filter(
        person__village=village, activity__started_at__gte=start, activity__started_at__lt=end).exclude(
        activity__status=Activity.Status.REJECTED)
    figures = records.aggregate(
        records=Count("id"), people=Count("person_id", distinct=True),
        verified_hours=Sum("hours", filter=Q(activity__status=Activity.Status.VERIFIED)))
    points = earned_in(first, last).filter(person__village=village).aggregate(total=Sum("amount"))["total"] or ZERO
    top = (earned_in(first, last).filter(person__village=village)
           .values("person_id", "person__name", "person__board_initials_only")
           .annotate(points=Sum("amount")).filter(points__gt=0).order_by("-points", "person_id")[:10])
    active = {row["person_id"]: row["n"] for row in records.filter(person_id__in=[row["person_id"] for row in top])
              .values("person_id").annotate(n=Count("id"))}
    return {
        "year": year, "records": figures["records"], "people": figures["people"],
        "verified_hours": figures["verified_hours"] or Decimal(0), "points": points,
        "top": [{"rank": rank, "name": public_name(row["person__name"], row["person__board_initials_only"]),
                 "points": row["points"], "records": active.get(row["person_id"], 0)}
                for rank, row in enumerate(top, start=1)],
    }


def rules_for_display(today: date) -> dict:
    """The rules as everyone reads them: in force today, coming, and ended."""
    everything = list(Rule.objects.order_by("effective_from", "id"))
    return {
        "current": [rule for rule in everything if rule.in_force_on(today)],
        "coming": [rule for rule in everything if rule.effective_from > today],
        "ended": [rule for rule in everything if rule.effective_until is not None and rule.effective_until < today],
    }


def catalogue():
    return Item.objects.filter(is_active=True).order_by("price", "name")


def people_with_balances(query: str = "", limit=50):
    """For the staff's redemption desk: people by name or phone, with their balances."""
    people = Person.objects.filter(is_active=True).select_related("village")
    if query:
        people = people.filter(Q(name__icontains=query) | Q(phone__contains=query))
    return people.annotate(balance=Sum("point_entries__amount")).order_by("name", "id")[:limit]


def describe_rule(rule: Rule) -> str:
    """One sentence a volunteer can read: "每服务 1 小时得 1 分，每次活动最多计 2 小时，每天最多 8 分"."""
    from .models import Measure

    rate = rules.number(rule.points_per_unit)
    sentence = {
        Measure.HOURS: _("每服务 1 小时得 %(rate)s 分"),
        Measure.ACTIVITY: _("每参加 1 次活动得 %(rate)s 分"),
        Measure.DEBRIS_KG: _("每清理 1 公斤垃圾得 %(rate)s 分（参加者平分）"),
        Measure.PROBLEM_ACCEPTED: _("上报的问题每被受理 1 件得 %(rate)s 分"),
        Measure.PROBLEM_FIXED: _("上报的问题每解决 1 件得 %(rate)s 分"),
    }[rule.measure] % {"rate": rate}
    if rule.cap_per_activity is not None:
        unit = {Measure.HOURS: _("小时"), Measure.ACTIVITY: _("次"), Measure.DEBRIS_KG: _("公斤")}.get(rule.measure, "")
        sentence += _("，每次活动最多计 %(cap)s %(unit)s") % {"cap": rules.number(rule.cap_per_activity), "unit": unit}
    if rule.cap_per_day is not None:
        sentence += _("，每人每天最多 %(cap)s 分") % {"cap": rules.number(rule.cap_per_day)}
    return sentence


def yearly_expiry() -> bool:
    """Whether points clear every 31 December, read without writing (the rules page is public)."""
    return Scheme.objects.filter(pk=1).values_list("yearly_expiry", flat=True).first() or False


def recent_redemptions(*, limit=20):
    """The redemption desk's latest, newest first."""
    return Redemption.objects.select_related("person", "item", "made_by__person").order_by("-at", "-id")[:limit]


def last_place(user) -> str:
    """Where this staff member last recorded a redemption: the desk fills it in again."""
    return Redemption.objects.filter(made_by=user).order_by("-at", "-id").values_list("place", flat=True).first() or ""


def may_read_statement(user, person) -> bool:
    """Who reads a person's points (the statement, its CSV, the profile's card): the person themself
    and the office's staff. A statement shows what someone spent and why."""
    from people.selectors import is_self_or_staff

    return is_self_or_staff(user, person)


def period_totals(first: date, last: date) -> dict:
    """{points, people, redemptions, spent} of a period: the points earned (by the day of the service),
    the people who earned them, and the redemptions made then (Beijing days) with the points they used."""
    earned = earned_in(first, last).aggregate(points=Sum("amount"), people=Count("person_id", distinct=True))
    low, high = day_bounds(first, last)
    spent = Redemption.objects.filter(at__gte=low, at__lt=high).aggregate(redemptions=Count("id"), spent=Sum("points"))
    return {"points": earned["points"] or ZERO, "people": earned["people"], "redemptions": spent["redemptions"],
            "spent": spent["spent"] or 0}
