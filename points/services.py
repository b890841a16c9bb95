"""Every write to the points ledger. Each function locks the people it writes for (in id order),
so the daily caps, the balance checked before spending and the key that makes an entry once all
see every entry made before them. Entries are only ever added (models.Entry)."""

import logging
import uuid
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from patrols.models import Activity, ServiceRecord
from people.models import Person
from people.selectors import is_office_staff, person_of
from problems.models import Action, Problem, Source, State
from riverwatch.dates import local_day

from . import rules, selectors
from .models import ACTIVITY_MEASURES, ZERO, Entry, Item, Measure, Redemption, Rule, Scheme

log = logging.getLogger(__name__)

# The largest adjustment staff may make at once: a typo of three zeros should not go through.
MAX_ADJUSTMENT = Decimal("10000")


def _lock_people(person_ids):
    """Locks these people's rows in id order (two writers for the same two people never deadlock)."""
    return {person.pk: person for person in Person.objects.select_for_update().filter(pk__in=set(person_ids)).order_by("pk")}


def _earned_by_rule_on(person_id, rule, day) -> Decimal:
    return Entry.objects.filter(person_id=person_id, rule=rule, earned_on=day).aggregate(total=Sum("amount"))["total"] or ZERO


def _add(**fields) -> Entry | None:
    """Adds an entry unless its key is already in the ledger (the same event heard again)."""
    if Entry.objects.filter(key=fields["key"]).exists():
        return None
    entry = Entry(at=fields.pop("at", None) or timezone.now(), **fields)
    entry.full_clean(exclude=["person", "rule", "activity", "problem", "redemption", "reverses", "made_by"])
    entry.save()
    return entry


@transaction.atomic
def credit_activity(*, activity_id) -> list[Entry]:
    """Credits everyone counted on a verified activity (one service record each), by every rule in
    force on the day it started. Anything else (waiting, rejected) earns nothing. Safe to repeat."""
    activity = _locked_activity(activity_id)
    if activity.status != Activity.Status.VERIFIED:
        return []
    records = list(ServiceRecord.objects.filter(activity=activity).order_by("person_id"))
    if not records:
        return []
    _lock_people(record.person_id for record in records)
    day = local_day(activity.started_at)
    made = []
    for rule in rules.rules_in_force(day, ACTIVITY_MEASURES):
        for record in records:
            key = f"record:{record.pk}:rule:{rule.pk}"
            if Entry.objects.filter(key=key).exists():
                continue
            measured = rules.activity_units(rule, activity, record, len(records))
            if measured is None:
                continue
            units, capped_by_activity = measured
            computed = rules.points_for(rule, units)
            granted = rules.within_daily_cap(rule, computed, _earned_by_rule_on(record.person_id, rule, day))
            entry = _add(
                person_id=record.person_id, amount=granted, kind=Entry.Kind.CREDIT, rule=rule, activity=activity,
                service_record_id=record.pk, cause=Entry.Cause.ACTIVITY_VERIFIED, made_by=activity.reviewed_by,
                earned_on=day, key=key,
                reason=rules.activity_reason(rule, activity, units, capped_by_activity, granted, computed),
            )
            if entry is not None:
                made.append(entry)
    return made


def _locked_activity(activity_id):
    """The activity, locked before anyone's points are: a review, an overturn or a removal of a
    participant (which lock it too) cannot slip between reading its records and writing for them."""
    return Activity.objects.select_for_update(of=("self",)).select_related("reviewed_by").get(pk=activity_id)


def _reverse(entries, *, cause, reason, made_by=None) -> list[Entry]:
    """A reversing entry for each credit not reversed yet; then, where a daily cap had cut other
    credits of the same person, rule and day, the room the reversal freed is given back to them.
    The caller holds the people's locks."""
    made = []
    freed = {}
    for entry in entries.filter(kind=Entry.Kind.CREDIT, reversed_by__isnull=True).select_related("rule").order_by("id"):
        if entry.amount == 0:
            continue
        reversal = _add(
            person_id=entry.person_id, amount=-entry.amount, kind=Entry.Kind.REVERSAL, rule=entry.rule,
            activity=entry.activity, service_record_id=entry.service_record_id, problem=entry.problem,
            reverses=entry, cause=cause, made_by=made_by, earned_on=entry.earned_on, key=f"reverse:{entry.pk}",
            reason=reason,
        )
        if reversal is not None:
            made.append(reversal)
            if entry.rule is not None and entry.rule.cap_per_day is not None:
                freed[(entry.person_id, entry.rule, entry.earned_on)] = reversal.pk
    # After every reversal of the batch, so no credit about to be reversed is topped up.
    for (person_id, rule, day), reversal_id in freed.items():
        made += _refill_daily_cap(person_id=person_id, rule=rule, day=day, reversal_id=reversal_id)
    return made


def _full_amount(credit, rule) -> Decimal | None:
    """What a credit's contribution is worth without the daily cap, or None if it no longer counts."""
    if credit.service_record_id is not None:
        record = ServiceRecord.objects.filter(pk=credit.service_record_id).select_related("activity").first()
        if record is None or record.activity.status != Activity.Status.VERIFIED:
            return None
        counted = ServiceRecord.objects.filter(activity_id=record.activity_id).count()
        measured = rules.activity_units(rule, record.activity, record, counted)
        return rules.points_for(rule, measured[0]) if measured is not None else None
    if credit.problem_id is not None:
        return rules.points_for(rule, 1)
    return None


def _refill_daily_cap(*, person_id, rule, day, reversal_id) -> list[Entry]:
    """Top-ups, oldest credit first, for credits a daily cap cut, out of the room a reversal freed."""
    room = rule.cap_per_day - _earned_by_rule_on(person_id, rule, day)
    made = []
    standing = Entry.objects.filter(person_id=person_id, rule=rule, earned_on=day, kind=Entry.Kind.CREDIT,
                                    reversed_by__isnull=True).exclude(key__contains=":topup:").order_by("id")
    for credit in standing:
        if room <= 0:
            break
        full = _full_amount(credit, rule)
        if full is None:
            continue
        topped = Entry.objects.filter(key__startswith=f"{credit.key}:topup:", reversed_by__isnull=True).aggregate(
            total=Sum("amount"))["total"] or ZERO
        missing = full - credit.amount - topped
        if missing <= 0:
            continue
        amount = min(missing, room)
        entry = _add(person_id=person_id, amount=amount, kind=Entry.Kind.CREDIT, rule=rule, activity=credit.activity,
                     service_record_id=credit.service_record_id, problem=credit.problem, cause=credit.cause,
                     earned_on=day, key=f"{credit.key}:topup:{reversal_id}", reason=rules.topup_reason(credit))
        if entry is not None:
            made.append(entry)
            room -= amount
    return made


@transaction.atomic
def reverse_activity(*, activity_id) -> list[Entry]:
    """A verified activity rejected after all: every credit it earned is reversed by a new entry."""
    activity = _locked_activity(activity_id)
    if activity.status != Activity.Status.REJECTED:
        return []
    credits = Entry.objects.filter(activity=activity)
    _lock_people(credits.values_list("person_id", flat=True))
    reason = rules.overturn_reason(activity)
    return _reverse(credits, cause=Entry.Cause.ACTIVITY_REJECTED, reason=reason, made_by=activity.reviewed_by)


@transaction.atomic
def reverse_participation(*, activity_id, service_record_id, person_id, by=None, why="") -> list[Entry]:
    """A person removed from an activity: what their part in it earned is reversed."""
    activity = _locked_activity(activity_id)
    _lock_people([person_id])
    reason = rules.removal_reason(activity, why)
    credits = Entry.objects.filter(service_record_id=service_record_id, person_id=person_id)
    return _reverse(credits, cause=Entry.Cause.PARTICIPANT_REMOVED, reason=reason, made_by=by)


# Sources whose reporter found the problem at the river. A hotline call or an inspection is typed in
# by the office for somebody else; the public and Open311 have no account here.
_FOUND_BY_REPORTER = frozenset({Source.PATROL, Source.PHONE})


def problem_contributor(problem) -> Person | None:
    """Who earns for a problem: the deputy whose suggestion it was, or the person who found it at
    the river and reported it; nobody for what the office typed in for others."""
    if problem.source == Source.DEPUTY:
        return problem.deputy
    if problem.source in _FOUND_BY_REPORTER and problem.reported_by_id:
        return person_of(problem.reported_by)
    return None


# The moves that decide a reporter's points: accepted (first out of "reported" into the work),
# fixed (verified), and the moves that undo them.
_ACCEPTING = frozenset({Action.ACCEPT, Action.ASSIGN})
_UNDOING_ALL = frozenset({Action.REJECT, Action.MERGE})
_UNDOING_FIX = frozenset({Action.REOPEN, Action.REINSPECT})


@transaction.atomic
def on_problem_event(*, event) -> list[Entry]:
    """Credits or reverses a problem's reporter for one move on it. Safe to repeat."""
    problem = Problem.objects.select_related("reported_by", "deputy").get(pk=event.problem_id)
    person = problem_contributor(problem)
    if person is None:
        return []
    _lock_people([person.pk])
    # Nobody earns by their own hand: a reporter who accepts or verifies their own report.
    by_themself = event.actor_id is not None and event.actor_id == person.user_id
    if event.action in _ACCEPTING and event.from_state == State.REPORTED:
        if by_themself:
            return []
        return _credit_problem(problem, person, Measure.PROBLEM_ACCEPTED, key_of=f"problem:{problem.pk}:accepted",
                               cause=Entry.Cause.PROBLEM_ACCEPTED, made_by=event.actor)
    if event.action == Action.VERIFY:
        if by_themself:
            return []
        return _credit_problem(problem, person, Measure.PROBLEM_FIXED, key_of=f"problem-event:{event.pk}:fixed",
                               cause=Entry.Cause.PROBLEM_FIXED, made_by=event.actor)
    made = []
    undone = None
    if event.action in _UNDOING_ALL:
        undone = _credits_before(problem, event)
    elif event.action in _UNDOING_FIX and event.from_state == State.CLOSED and event.to_state != State.CLOSED:
        undone = _credits_before(problem, event).filter(rule__measure=Measure.PROBLEM_FIXED)
        # Reopening one closed as invalid or a duplicate takes it back into the work: accepted again.
        if event.action == Action.REOPEN and not _credits_before(problem, event).filter(
                rule__measure=Measure.PROBLEM_ACCEPTED, kind=Entry.Kind.CREDIT, reversed_by__isnull=True).exists():
            made += _credit_problem(problem, person, Measure.PROBLEM_ACCEPTED, key_of=f"problem-event:{event.pk}:accepted",
                                    cause=Entry.Cause.PROBLEM_ACCEPTED, made_by=event.actor)
    if undone is None:
        return made
    reason = rules.undone_reason(problem, event)
    for entry in undone.filter(kind=Entry.Kind.CREDIT, reversed_by__isnull=True).order_by("id"):
        # The key of each reversal names its credit, so a replay of this event finds them made.
        made += _reverse(Entry.objects.filter(pk=entry.pk), cause=Entry.Cause.PROBLEM_UNDONE, made_by=event.actor,
                         reason=reason)
    return made


def _credits_before(problem, event):
    """The problem's credits (and their top-ups) made for moves before `event`. Live, that is all of
    them; a replay of an old undoing move (a reopening) must not reach a later move's credit."""
    earlier = problem.events.filter(pk__lt=event.pk)
    made_before = Q(pk__in=[])
    for event_id in earlier.filter(action=Action.VERIFY).values_list("pk", flat=True):
        made_before |= Q(key__startswith=f"problem-event:{event_id}:fixed:")
    for event_id in earlier.filter(action=Action.REOPEN).values_list("pk", flat=True):
        made_before |= Q(key__startswith=f"problem-event:{event_id}:accepted:")
    if earlier.filter(action__in=_ACCEPTING, from_state=State.REPORTED).exists():
        made_before |= Q(key__startswith=f"problem:{problem.pk}:accepted:")
    return Entry.objects.filter(problem=problem).filter(made_before)


def _credit_problem(problem, person, measure, *, key_of, cause, made_by) -> list[Entry]:
    day = local_day(problem.observed_at)
    made = []
    for rule in rules.rules_in_force(day, [measure]):
        key = f"{key_of}:rule:{rule.pk}"
        if Entry.objects.filter(key=key).exists():
            continue
        computed = rules.points_for(rule, 1)
        granted = rules.within_daily_cap(rule, computed, _earned_by_rule_on(person.pk, rule, day))
        entry = _add(person_id=person.pk, amount=granted, kind=Entry.Kind.CREDIT, rule=rule, problem=problem,
                     cause=cause, made_by=made_by, earned_on=day, key=key,
                     reason=rules.problem_reason(rule, problem, granted, computed))
        if entry is not None:
            made.append(entry)
    return made


def _staff_only(user):
    if not is_office_staff(user):
        raise PermissionDenied(_("只有河长办工作人员可以调整积分或登记兑换。"))


@transaction.atomic
def adjust(*, person, amount, reason, by, key=None) -> Entry:
    """A manual correction by staff, with its reason, shown in the person's statement. `key`: the
    form's own id, so the same form sent twice adjusts once."""
    _staff_only(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("人工调整积分必须写明原因。")})
    amount = Decimal(amount).quantize(rules.TENTH)
    if amount == 0:
        raise ValidationError({"amount": _("调整的积分不能为 0。")})
    if abs(amount) > MAX_ADJUSTMENT:
        raise ValidationError({"amount": _("一次最多调整 %(max)s 分。") % {"max": MAX_ADJUSTMENT}})
    _lock_people([person.pk])
    key = f"adjustment:{key or uuid.uuid4()}"
    existing = Entry.objects.filter(key=key).first()
    if existing is not None:
        return existing
    return _add(person_id=person.pk, amount=amount, kind=Entry.Kind.ADJUSTMENT, cause=Entry.Cause.STAFF, made_by=by,
                earned_on=timezone.localdate(), key=key, reason=rules.adjustment_reason(reason))


@transaction.atomic
def redeem(*, person, item, quantity, place, by, client_uuid=None) -> Redemption:
    """Spends points on an item. The person's row is locked first, so two redemptions at once are
    made one after the other and the second sees the first: the balance never goes below zero."""
    _staff_only(by)
    place = (place or "").strip()
    if not place:
        raise ValidationError({"place": _("请填写兑换点。")})
    if not isinstance(quantity, int) or not 1 <= quantity <= 1000:
        raise ValidationError({"quantity": _("数量须为 1 至 1000 之间的整数。")})
    person = _lock_people([person.pk])[person.pk]
    if client_uuid is not None:
        done = Redemption.objects.filter(client_uuid=client_uuid).first()
        if done is not None:
            if (done.person_id, done.item_id, done.quantity) != (person.pk, item.pk, quantity):
                raise ValidationError(_("这张兑换单已经用于另一笔兑换。"))
            return done
    item = Item.objects.select_for_update().get(pk=item.pk)
    if not item.is_active:
        raise ValidationError({"item": _("“%(item)s”已下架。") % {"item": item.name}})
    if item.stock < quantity:
        raise ValidationError({"quantity": _("“%(item)s”库存只剩 %(stock)s 件。") % {"item": item.name, "stock": item.stock}})
    cost = item.price * quantity
    balance = selectors.balance(person.pk)
    if cost > balance:
        raise ValidationError({"quantity": _("积分不足：兑换需要 %(cost)s 分，%(name)s 当前余额 %(balance)s 分。") % {
            "cost": cost, "name": person.name, "balance": balance}})
    now = timezone.now()
    redemption = Redemption(person=person, item=item, quantity=quantity, points=cost, place=place[:64], made_by=by, at=now,
                            **({"client_uuid": client_uuid} if client_uuid is not None else {}))
    redemption.full_clean()
    redemption.save()
    item.stock -= quantity
    item.save(update_fields=["stock"])
    _add(person_id=person.pk, amount=-Decimal(cost), kind=Entry.Kind.REDEMPTION, redemption=redemption,
         cause=Entry.Cause.STAFF, made_by=by, earned_on=local_day(now), at=now, key=f"redemption:{redemption.pk}",
         reason=rules.redemption_reason(place, item, quantity))
    return redemption


def expire_year(*, year: int, today: date | None = None) -> int:
    """When the scheme clears points yearly: what each person still had at the end of `year` (and
    still has: points spent since were spent from it) expires, by one entry dated 31 December.
    Only a year that is over; safe to repeat. Returns how many people's points expired."""
    today = today or timezone.localdate()
    if not Scheme.current().yearly_expiry:
        raise ValidationError(_("积分制设置里没有开启年度清零。"))
    if year >= today.year:
        raise ValidationError(_("%(year)s 年还没有结束，不能清零。") % {"year": year})
    year_end = date(year, 12, 31)
    person_ids = Entry.objects.filter(earned_on__lte=year_end).values_list("person_id", flat=True).distinct()
    expired = 0
    for person_id in sorted(set(person_ids)):
        with transaction.atomic():
            _lock_people([person_id])
            at_year_end = Entry.objects.filter(person_id=person_id, earned_on__lte=year_end).aggregate(
                total=Sum("amount"))["total"] or ZERO
            amount = min(at_year_end, selectors.balance(person_id))
            if amount <= 0:
                continue
            entry = _add(person_id=person_id, amount=-amount, kind=Entry.Kind.EXPIRY, cause=Entry.Cause.YEAR_END,
                         earned_on=year_end, key=f"expiry:{year}:{person_id}",
                         reason=rules.expiry_reason(year))
            expired += entry is not None
    return expired


def replay(*, on_progress=None) -> int:
    """Makes every credit and reversal the ledger should hold and does not (a receiver that failed,
    data from before the scheme). Everything it adds has its key, so running it twice adds nothing."""
    from problems.models import ProblemEvent

    added = 0
    activities = Activity.objects.filter(status__in=[Activity.Status.VERIFIED, Activity.Status.REJECTED])
    for activity_id, status in activities.order_by("id").values_list("id", "status").iterator():
        if status == Activity.Status.VERIFIED:
            added += len(credit_activity(activity_id=activity_id))
        else:
            added += len(reverse_activity(activity_id=activity_id))
        if on_progress:
            on_progress()
    moves = ProblemEvent.objects.filter(action__in=list(_ACCEPTING | _UNDOING_ALL | _UNDOING_FIX | {Action.VERIFY}))
    for event in moves.order_by("at", "id").iterator():
        added += len(on_problem_event(event=event))
    return added


def save_rule(*, rule: Rule, by, today=None) -> Rule:
    """Saves a rule as staff edit it, refusing any change that would reach back in time (rules.check_change)."""
    _staff_only(by)
    today = today or timezone.localdate()
    before = Rule.objects.filter(pk=rule.pk).first() if rule.pk else None
    rule.full_clean()
    rules.check_change(before=before, after=rule, today=today)
    rule.save()
    return rule


def forget_person(*, person, label) -> str:
    """The points part of anonymising a person: their entries and redemptions stay (balances and the
    boards stay true), but where staff typed their name into a reason or a place, the label replaces
    it. The ledger's trigger lets only a reason change, and only with points.rewording set."""
    from people.services import replace_typed_text

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL points.rewording = 'on'")
    replace_typed_text(Entry.objects.all(), ["reason"], person.name, label)
    replace_typed_text(Redemption.objects.all(), ["place"], person.name, label)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL points.rewording = 'off'")
    return "积分明细保留，其中提到姓名之处已替换"
