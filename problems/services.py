"""Every write to the problem list: reporting (from an activity, the office, a deputy, the public or
an Open311 client), each move of the life cycle as an append-only event, escalation, re-inspection
planning and notices. A move is checked against problems.lifecycle and made under a row lock, so two
people acting at once cannot both move a problem out of the same state."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from people import selectors as people_selectors
from people.models import Person, Role
from riverwatch import photos as photo_processing
from riverwatch.dates import day_start, local_day

from . import lifecycle, selectors, signals
from .models import (
    Action,
    Ending,
    FollowUp,
    NotFixedReason,
    Notice,
    Problem,
    ProblemEvent,
    ProblemPhoto,
    ResponsibleUnit,
    Source,
    State,
)

# Each new problem goes to the nearest waterway within SNAP_DISTANCE_M, with its position along it;
# a problem with no point, or far from every waterway, keeps the waterway it was reported on (a
# signboard's), if any, without a position along it.
PROBLEM_SNAP_SQL = """
UPDATE problems_problem AS p
   SET waterway_id = COALESCE(nearest.id, q.waterway_id), position_m = nearest.position_m
  FROM problems_problem AS q
  LEFT JOIN LATERAL (
      SELECT w.id, ST_LineLocatePoint(w.geom, q.point) * ST_Length(w.geom) AS position_m
        FROM waterways_waterway w
       WHERE ST_DWithin(w.geom, q.point, %(snap)s)
       ORDER BY ST_Distance(w.geom, q.point), w.id
       LIMIT 1
  ) AS nearest ON TRUE
 WHERE p.id = q.id AND q.id = ANY(%(ids)s) AND q.point IS NOT NULL
"""

# Public tracking codes: no 0/O or 1/I/L to misread off a phone screen.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10


@dataclass
class NewProblem:
    """A problem as reported, before it is stored: the field API's problems, the office's form,
    the public page and Open311 all build one."""

    category: str
    observed_at: object
    note: str = ""
    point: object = None  # in settings.GIS_SRID, already checked against the service area
    client_uuid: object = None
    # Where the report came from when the point does not say (a signboard's waterway): kept unless
    # the point snaps to a waterway of its own.
    waterway: object = None


def _actor_name(user, action=None):
    if user is not None:
        return user.display_name
    return _("群众") if action == Action.REPORT else _("系统")


def _event(problem, *, actor, action, from_state, to_state, note="", unit=None, deadline=None, at=None,
           client_uuid=None):
    return ProblemEvent.objects.create(
        problem=problem, at=at or timezone.now(), actor=actor, actor_name=_actor_name(actor, action)[:64], action=action,
        from_state=from_state, to_state=to_state, note=note, unit=unit, deadline=deadline, client_uuid=client_uuid,
    )


def _snap(ids):
    with connection.cursor() as cursor:
        cursor.execute(PROBLEM_SNAP_SQL, {"ids": list(ids), "snap": settings.SNAP_DISTANCE_M})


def record_from_activity(*, activity, problems, phone_report: bool):
    """Stores an activity's problems (already checked by patrols.problem_reports) with their first
    event each, and snaps them to their waterways: a handful of statements for all of them."""
    source = Source.PHONE if phone_report else Source.PATROL
    rows = [
        Problem(activity=activity, client_uuid=problem.client_uuid, category=problem.category, note=problem.note,
                point=problem.point, observed_at=problem.observed_at, source=source,
                reported_by_id=activity.submitted_by_id)
        for problem in problems
    ]
    for row in rows:
        # The activity was saved a moment ago; the uuid was claimed under a lock; the point was
        # built and checked by GEOS (the database still enforces the constraints).
        row.full_clean(exclude=["activity", "client_uuid", "point", "reported_by"])
    Problem.objects.bulk_create(rows)
    submitter = activity.submitted_by
    ProblemEvent.objects.bulk_create([
        ProblemEvent(problem=row, at=activity.received_at or timezone.now(), actor=submitter,
                     actor_name=_actor_name(submitter)[:64], action=Action.REPORT, to_state=State.REPORTED)
        for row in rows
    ])
    located = [row.pk for row in rows if row.point is not None]
    if located:
        _snap(located)
    return rows


def new_tracking_code():
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def _store_photo(*, problem, event, uploaded_by, processed, written):
    existing = ProblemPhoto.objects.filter(problem=problem, sha256=processed.sha256).first()
    if existing is not None:
        if event is not None and existing.event_id is None:
            existing.event = event
            existing.save(update_fields=["event"])
        return existing
    photo = ProblemPhoto(problem=problem, event=event, sha256=processed.sha256, width=processed.width,
                         height=processed.height, uploaded_by=uploaded_by)
    photo_processing.save_files(photo, processed, written)
    photo.save()
    return photo


def process_photos(datas) -> list:
    """Re-encodes each photo (riverwatch.photos: real images only, metadata dropped) before any
    row is written; a bad one raises PhotoError naming what is wrong."""
    return [photo_processing.process(data) for data in datas]


def report(*, by, source, new: NewProblem, deputy=None, contact_phone="", photos=(), tracking=False):
    """A problem reported on its own: by the office (a hotline call, an inspection, a deputy's
    suggestion), the public (by=None, tracking=True) or an Open311 client. photos: raw bytes."""
    processed = process_photos(photos)
    if source == Source.DEPUTY and deputy is None:
        raise ValidationError({"deputy": _("代表建议须注明提出建议的代表。")})
    problem = Problem(
        category=new.category, source=source, note=new.note, point=new.point, observed_at=new.observed_at,
        deputy=deputy if source == Source.DEPUTY else None, contact_phone=contact_phone, reported_by=by,
        waterway=new.waterway,
        tracking_code=new_tracking_code() if tracking else None,
    )
    if new.client_uuid is not None:
        problem.client_uuid = new.client_uuid
    problem.full_clean(exclude=["point", "client_uuid"])
    with photo_processing.files_removed_unless_stored() as written, transaction.atomic():
        problem.save()
        event = _event(problem, actor=by, action=Action.REPORT, from_state="", to_state=State.REPORTED)
        for item in processed:
            _store_photo(problem=problem, event=event, uploaded_by=by, processed=item, written=written)
        if problem.point is not None:
            _snap([problem.pk])
    problem.refresh_from_db(fields=["waterway", "position_m"])
    return problem


@dataclass
class Move:
    """What a person asks for: the action and what it needs."""

    action: str
    note: str = ""
    unit: ResponsibleUnit | None = None
    deadline: date | None = None
    reason: str = ""  # a NotFixedReason for close_not_fixed
    duplicate_of: Problem | None = None
    passed: bool | None = None  # a re-inspection's outcome
    photos: tuple = ()  # raw bytes
    photo_ids: tuple = ()  # photos this person sent ahead (add_photo) that are this move's evidence
    client_uuid: uuid.UUID | None = None  # a phone's key for the move: a resend finds the first


class MoveConflict(Exception):
    """The move's client_uuid already names a different move."""


def _sent_ahead(problem, user, move: Move):
    """The photos sent ahead that this move takes as evidence: those it names, else every photo this
    person sent ahead for the problem and no move has taken yet (never another person's)."""
    photos = problem.own_photos.filter(event__isnull=True, uploaded_by=user)
    return photos.filter(pk__in=move.photo_ids) if move.photo_ids else photos


def _check(move: Move, rule, problem, user):
    errors = {}
    if rule.needs_note and not move.note.strip():
        errors["note"] = _("请填写说明。")
    if move.photo_ids and move.action != Action.RESOLVE:
        errors["photo_ids"] = _("只有办结时可以指明预先上传的照片。")
    elif move.photo_ids and _sent_ahead(problem, user, move).count() != len(set(move.photo_ids)):
        errors["photo_ids"] = _("照片 %(ids)s 不是你为这个问题预先上传、尚未用过的照片。") % {
            "ids": "、".join(f"#{pk}" for pk in sorted(set(move.photo_ids)))}
    elif rule.needs_photo and not move.photos and not _sent_ahead(problem, user, move).exists():
        errors["photos"] = _("办结须附至少一张现场照片。")
    if move.action == Action.ASSIGN:
        if move.unit is None:
            errors["unit"] = _("请选择责任单位。")
        elif not move.unit.is_active:
            errors["unit"] = _("责任单位“%(unit)s”已停用。") % {"unit": move.unit}
    if move.action == Action.SUPERVISE and move.deadline is None:
        errors["deadline"] = _("督办须给出新的期限。")
    if move.deadline is not None and move.deadline < timezone.localdate():
        errors["deadline"] = _("期限不能早于今天。")
    if move.action == Action.CLOSE_NOT_FIXED and move.reason not in NotFixedReason.values:
        errors["reason"] = _("请选择未解决的原因：%(choices)s。") % {
            "choices": "、".join(str(label) for label in NotFixedReason.labels)}
    if move.action == Action.MERGE:
        target = move.duplicate_of
        if target is None:
            errors["duplicate_of"] = _("请指明与哪个问题重复。")
        elif target.pk == problem.pk:
            errors["duplicate_of"] = _("问题不能与自己重复。")
        elif target.state == State.CLOSED:
            errors["duplicate_of"] = _("问题 #%(id)s 已关闭，请合并到仍在办理的问题。") % {"id": target.pk}
    if move.action == Action.REINSPECT and move.passed is None:
        errors["passed"] = _("请说明回头看是否合格。")
    if errors:
        raise ValidationError(errors)


def act(*, problem, user, move: Move):
    """Makes one move, as `user`, if the transition table allows it. Returns the new event.
    Raises PermissionDenied (not allowed for this person or in this state) or ValidationError."""
    rule = lifecycle.MOVES.get(move.action)
    if rule is None:
        raise ValidationError({"action": _("未知的操作：%(action)s。") % {"action": move.action}})
    processed = process_photos(move.photos)
    with photo_processing.files_removed_unless_stored() as written, transaction.atomic():
        problem, move = _locked(problem, move)
        replayed = _replayed(problem, user, move)
        if replayed is not None:
            return replayed
        reason = lifecycle.why_not(rule, problem, lifecycle.relations_of(user, problem))
        if reason:
            raise PermissionDenied(reason)
        _check(move, rule, problem, user)
        event = _apply(problem, user, move, rule)
        for item in processed:
            _store_photo(problem=problem, event=event, uploaded_by=user, processed=item, written=written)
        # Photos sent ahead of the resolution (a phone's outbox sends photos first) become its evidence.
        if move.action == Action.RESOLVE:
            _sent_ahead(problem, user, move).update(event=event)
        # Evidence is a photo new to this move: one already shown with an earlier move (the report's,
        # a resolution that was sent back) proves nothing about this fix.
        if rule.needs_photo and not event.photos.exists():
            raise ValidationError({"photos": _("办结须附至少一张新的现场照片；这张照片已在之前的处理记录中用过。")})
    transaction.on_commit(lambda: signals.problem_moved.send(sender=Problem, problem=problem, event=event))
    # Reporters hear of the ending once: when the problem comes to be closed, not at every later move.
    if event.to_state == State.CLOSED and event.from_state != State.CLOSED:
        transaction.on_commit(lambda: notify_ending(problem_id=problem.pk))
    return event


def _replayed(problem, user, move: Move):
    """The event a move with this client_uuid already made (a phone resending after a lost answer),
    or None. The same key on a different move is refused."""
    if move.client_uuid is None:
        return None
    # Two requests with one key on two problems lock different rows: the key's own lock makes the
    # second wait and find the first's event, instead of failing on the unique key.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [move.client_uuid.int % (2**63)])
    event = ProblemEvent.objects.filter(client_uuid=move.client_uuid).first()
    if event is None:
        return None
    if (event.problem_id, event.actor_id, event.action) != (problem.pk, user.pk, move.action):
        raise MoveConflict(_("client_uuid %(uuid)s 已用于另一个操作（问题 #%(id)s 的“%(action)s”）。") % {
            "uuid": move.client_uuid, "id": event.problem_id, "action": event.get_action_display()})
    return event


def _locked(problem, move: Move):
    """The problem, locked for this move, and the move with its merge target locked too: both rows in
    id order, so two merges crossing each other (A into B, B into A) wait instead of both closing."""
    ids = sorted({problem.pk} | ({move.duplicate_of.pk} if move.duplicate_of is not None else set()))
    rows = {row.pk: row for row in Problem.objects.select_for_update(of=("self",)).select_related("unit")
            .filter(pk__in=ids).order_by("pk")}
    if move.duplicate_of is not None:
        move = replace(move, duplicate_of=rows[move.duplicate_of.pk])
    return rows[problem.pk], move


def _apply(problem, user, move: Move, rule):
    now = timezone.now()
    before = problem.state
    after = rule.to_state or before
    deadline = None
    if move.action == Action.ACCEPT:
        problem.accepted_at = now
    elif move.action == Action.REJECT:
        problem.ending = Ending.INVALID
    elif move.action == Action.MERGE:
        problem.ending, problem.duplicate_of = Ending.DUPLICATE, move.duplicate_of
    elif move.action == Action.ASSIGN:
        problem.accepted_at = problem.accepted_at or now
        deadline = move.deadline or selectors.default_deadline(problem.category, timezone.localdate())
        problem.unit, problem.deadline = move.unit, deadline
        problem.escalated_at = problem.escalated_to = None  # a new unit starts afresh
    elif move.action == Action.RESOLVE:
        problem.resolved_at, problem.resolved_by = now, user
    elif move.action == Action.VERIFY:
        problem.ending = Ending.FIXED
    elif move.action == Action.SEND_BACK:
        problem.resolved_at = problem.resolved_by = None
    elif move.action == Action.CLOSE_NOT_FIXED:
        problem.ending, problem.not_fixed_reason = Ending.NOT_FIXED, move.reason
    elif move.action == Action.REOPEN:
        after = _reopen(problem, now)
        deadline = problem.deadline
    elif move.action == Action.SUPERVISE:
        problem.supervised_at, problem.deadline = now, move.deadline
        problem.escalated_at = problem.escalated_to = None
        deadline = move.deadline
    elif move.action == Action.REINSPECT:
        _record_reinspection(problem, user, move, now)
        if not move.passed:
            after = _reopen(problem, now)
            deadline = problem.deadline
    if after == State.CLOSED and before != State.CLOSED:
        problem.closed_at = now
    if problem.first_deadline is None:
        problem.first_deadline = problem.deadline
    problem.state = after
    problem.full_clean(exclude=["point", "client_uuid"])
    problem.save()
    return _event(problem, actor=user, action=move.action, from_state=before, to_state=after, note=move.note.strip(),
                  unit=move.unit if move.action == Action.ASSIGN else None, deadline=deadline, at=now,
                  client_uuid=move.client_uuid)


def _reopen(problem, now):
    """Back to work, counted: to its unit with a fresh deadline when it had one, else to the office."""
    problem.reopen_count += 1
    problem.ending, problem.not_fixed_reason, problem.duplicate_of = "", "", None
    problem.closed_at = problem.resolved_at = problem.resolved_by = None
    problem.escalated_at = problem.escalated_to = None
    if problem.unit_id:
        problem.deadline = selectors.default_deadline(problem.category, local_day(now))
        return State.ASSIGNED
    problem.accepted_at = problem.accepted_at or now
    return State.ACCEPTED


def _record_reinspection(problem, user, move, now):
    follow_up = problem.follow_ups.filter(done_at__isnull=True).order_by("due").first()
    if follow_up is not None:
        follow_up.done_at, follow_up.done_by, follow_up.passed, follow_up.note = now, user, move.passed, move.note
        follow_up.save()


def escalate_overdue(*, now=None) -> list[Problem]:
    """Escalates, once each, the problems past their deadline and not resolved: to the unit's
    supervisor, or to the district office where the unit names none. A system event records it."""
    now = now or timezone.now()
    escalated = []
    for problem in selectors.overdue(local_day(now)).filter(escalated_at__isnull=True).select_related("unit__supervisor"):
        with transaction.atomic():
            problem = Problem.objects.select_for_update(of=("self",)).select_related("unit__supervisor").get(pk=problem.pk)
            if problem.escalated_at is not None or not selectors.is_overdue(problem, local_day(now)):
                continue
            supervisor = problem.unit.supervisor if problem.unit_id else None
            problem.escalated_at, problem.escalated_to = now, supervisor
            problem.save(update_fields=["escalated_at", "escalated_to"])
            target = supervisor.name if supervisor else _("区河长办")
            _event(problem, actor=None, action=Action.ESCALATE, from_state=problem.state, to_state=problem.state,
                   note=_("超过办理期限 %(deadline)s 未办结，升级提醒：%(target)s。") % {
                       "deadline": problem.deadline.isoformat(), "target": target}, at=now)
        escalated.append(problem)
    return escalated


def plan_follow_ups(*, year: int, quarter: int) -> int:
    """One re-inspection task (回头看) for each problem fixed in the quarter, due 20 working days after
    the quarter ends. Planning the same quarter again adds nothing. Returns the tasks created."""
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    label = f"{year}Q{quarter}"
    due = selectors.deadline_after(after - timedelta(days=1), settings.FOLLOW_UP_WORKING_DAYS)
    fixed = Problem.objects.filter(ending=Ending.FIXED, closed_at__gte=day_start(first), closed_at__lt=day_start(after))
    before = FollowUp.objects.filter(quarter=label).count()
    FollowUp.objects.bulk_create(
        [FollowUp(problem_id=pk, quarter=label, due=due) for pk in fixed.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    return FollowUp.objects.filter(quarter=label).count() - before


def notify_ending(*, problem_id):
    """Tells everyone who reported the problem, or a duplicate merged into it, how it ended."""
    problem = Problem.objects.get(pk=problem_id)
    if problem.state != State.CLOSED:
        return 0
    reporters = {problem.reported_by_id} | set(problem.duplicates.values_list("reported_by_id", flat=True))
    reporters.discard(None)
    subject = _("你上报的问题 #%(id)s 已关闭：%(ending)s") % {"id": problem.pk, "ending": problem.get_ending_display()}
    last = problem.events.order_by("-at", "-id").first()
    body = _("%(category)s，%(place)s。处理结果：%(ending)s。%(note)s") % {
        "category": problem.get_category_display(), "place": problem.waterway.name if problem.waterway_id else _("位置未定"),
        "ending": problem.get_ending_display(), "note": last.note if last else "",
    }
    today = timezone.localdate()
    Notice.objects.bulk_create([
        Notice(user_id=user_id, kind=Notice.Kind.ENDING, day=today, problem=problem, subject=subject[:200], body=body)
        for user_id in sorted(reporters)
    ])
    return len(reporters)


def add_photo(*, problem, user, data: bytes):
    """A photo of the problem sent ahead of a move, by a member of its unit or the office: kept
    unattached until the next resolution takes it as evidence. Returns (photo, created)."""
    relations = lifecycle.relations_of(user, problem)
    if not relations & {lifecycle.STAFF, lifecycle.MEMBER}:
        raise PermissionDenied(_("只有责任单位成员和河长办可以为问题补充照片。"))
    processed = photo_processing.process(data)
    with photo_processing.files_removed_unless_stored() as written, transaction.atomic():
        # The same photo sent twice at once (a phone's retry) is stored once: the second waits here.
        Problem.objects.select_for_update(of=("self",)).filter(pk=problem.pk).first()
        before = ProblemPhoto.objects.filter(problem=problem, sha256=processed.sha256).exists()
        photo = _store_photo(problem=problem, event=None, uploaded_by=user, processed=processed, written=written)
    return photo, not before


@dataclass
class ReminderRun:
    escalated: int = 0
    follow_ups: int = 0
    digests: int = 0
    nudges: int = 0
    emailed: int = 0


def _digest_lines(problems, today):
    lines = []
    for problem in problems:
        left = selectors.days_left(problem, today)
        when = ngettext("逾期 %(n)s 天", "逾期 %(n)s 天", -left) % {"n": -left} if left is not None and left < 0 else \
            ngettext("还剩 %(n)s 天（%(day)s 到期）", "还剩 %(n)s 天（%(day)s 到期）", left) % {
                "n": left, "day": problem.deadline.isoformat()}
        lines.append(f"#{problem.pk} {problem.get_category_display()} · "
                     f"{problem.waterway.name if problem.waterway_id else _('位置未定')} · {when}")
    return lines


def _digest_for(person, today):
    """What is due within REMINDER_DUE_WITHIN_DAYS and what is overdue, for a unit member, a chief
    (their waterways), a supervisor (what was escalated to them) and the office (escalated to it)."""
    soon = today + timedelta(days=settings.REMINDER_DUE_WITHIN_DAYS)
    working = Problem.objects.filter(state__in=[State.ASSIGNED, State.IN_PROGRESS, State.ACCEPTED], deadline__lte=soon)
    mine = Q(unit__members=person)
    scope = list(people_selectors.chief_scope(person, today))
    if scope:
        mine |= Q(waterway_id__in=scope)
    mine |= Q(escalated_to=person)
    if person.user_id and people_selectors.is_office_staff(person.user):
        mine |= Q(escalated_at__isnull=False, escalated_to__isnull=True)
    found = list(working.filter(pk__in=working.filter(mine).values("pk")).select_related("waterway").order_by("deadline", "pk"))
    overdue = [p for p in found if selectors.is_overdue(p, today)]
    due = [p for p in found if not selectors.is_overdue(p, today)]
    return overdue, due


def send_reminders(*, today=None, send_email=True) -> ReminderRun:
    """The daily run (manage.py send_reminders, from cron): escalate what ran late, plan the last
    quarter's re-inspections on a quarter's first day, then one digest per person with something
    due or overdue, and a reminder to each deputy with no activity for DEPUTY_INACTIVE_DAYS. Each
    notice is kept (the app shows it) and e-mailed when the login has an address. Running it twice
    on a day sends nothing twice. `today` may be an earlier day (a missed run caught up), never a
    later one: escalation, which happens once, is judged and dated now."""
    now = timezone.now()
    today = today or local_day(now)
    if today > local_day(now):
        raise ValidationError(_("不能提前运行 %(day)s 的每日提醒：还没到这一天。") % {"day": today.isoformat()})
    run = ReminderRun(escalated=len(escalate_overdue(now=now)))
    if today.day == 1 and today.month in (1, 4, 7, 10):
        last = today - timedelta(days=1)
        run.follow_ups = plan_follow_ups(year=last.year, quarter=(last.month - 1) // 3 + 1)
    people = Person.objects.filter(is_active=True, user__isnull=False, user__is_active=True).select_related("user")
    # Only those a digest can concern: unit members, chiefs, supervisors and the office.
    concerned = people.filter(Q(units__isnull=False) | Q(supervised_units__isnull=False)
                              | Q(role__in=[Role.CHIEF, Role.STAFF]) | Q(user__is_staff=True)).distinct()
    for person in concerned:
        overdue, due = _digest_for(person, today)
        if not overdue and not due:
            continue
        subject = _("河湖问题待办：%(overdue)s 件逾期，%(due)s 件即将到期") % {"overdue": len(overdue), "due": len(due)}
        body = "\n".join(
            ([_("已逾期：")] + _digest_lines(overdue, today) if overdue else [])
            + ([_("即将到期：")] + _digest_lines(due, today) if due else [])
        )
        notice, created = Notice.objects.get_or_create(
            user=person.user, kind=Notice.Kind.DIGEST, day=today, defaults={"subject": subject[:200], "body": body})
        run.digests += created
    quiet_since = day_start(today) - timedelta(days=settings.DEPUTY_INACTIVE_DAYS)
    # The district's practice: a deputy with no river work for a month is reminded.
    idle = people.filter(role=Role.DEPUTY).exclude(service_records__activity__started_at__gte=quiet_since)
    for deputy in idle:
        _notice, created = Notice.objects.get_or_create(
            user=deputy.user, kind=Notice.Kind.INACTIVE, day=today,
            defaults={"subject": _("履职提醒：近 %(days)s 天没有巡河记录") % {"days": settings.DEPUTY_INACTIVE_DAYS},
                      "body": _("%(name)s代表，您近 %(days)s 天没有参加巡河、清理或排查活动。欢迎就近参加，"
                                "发现问题可在手机上随手上报。") % {"name": deputy.name, "days": settings.DEPUTY_INACTIVE_DAYS}})
        run.nudges += created
    if send_email:
        run.emailed = email_notices()
    return run


def email_notices() -> int:
    """E-mails every notice not yet e-mailed to a login with an address (Django's e-mail backend:
    the console in development). A notice is marked only once its mail went out."""
    sent = 0
    for notice in Notice.objects.filter(emailed_at__isnull=True).exclude(user__email="").select_related("user"):
        send_mail(notice.subject, notice.body, None, [notice.user.email], fail_silently=False)
        Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent
