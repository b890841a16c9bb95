"""Writes to people and logins."""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, Left, Replace
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from knox.models import AuthToken
from knox.settings import CONSTANTS as KNOX_CONSTANTS

from riverwatch.dates import local_minute

from . import importing
from .models import ChiefAssignment, Person, Team


@transaction.atomic
def ensure_superuser(*, username, password):
    """Creates the superuser if missing; never touches an existing one. Returns True if created."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return False
    User.objects.create_superuser(username=username, email="", password=password)
    return True


# --- People, teams and the roster import ------------------------------------------

class PeopleImportError(Exception):
    """Some rows are bad; `problems` lists every one (importing.RowProblem). Nothing was written."""

    def __init__(self, problems):
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = list(problems)


@dataclass
class PeopleImportSummary:
    added: list = field(default_factory=list)  # row numbers
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    teams_created: list = field(default_factory=list)  # names
    assignments_added: int = 0
    assignments_ended: int = 0
    outcomes: list = field(default_factory=list)  # (row number, name, outcome label) for the row-by-row report


# Imports of the roster run one at a time, so two files cannot both create the same new person.
IMPORT_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
IMPORT_LOCK_KEY = 0x706565706C65  # any fixed bigint unique to this import


def person_problems(*, role, level, town, village):
    """{field: message} for a person whose level does not suit the role or whose village lies in another town."""
    problems = {}
    if role and (message := importing.level_problem(role, level)):
        problems["level"] = message
    if town is not None and village is not None and village.town_id != town.pk:
        problems["village"] = _("%(village)s不属于%(town)s") % {"village": village.name, "town": town.name}
    return problems


@transaction.atomic
def save_person(*, person):
    """Saves a person edited by hand. A village given without a town brings its town."""
    if person.village_id and not person.town_id:
        person.town = person.village.town
    problems = person_problems(role=person.role, level=person.level, town=person.town, village=person.village)
    if problems:
        raise ValidationError(problems)
    person.full_clean()
    person.save()
    return person


def team_problems(*, members, leaders):
    """Leaders must be members of the team (they review their members' activities)."""
    outside = [person.name for person in leaders if person not in set(members)]
    if outside:
        return {"leaders": _("队长必须是本队成员：%(names)s") % {"names": _("、").join(outside)}}
    return {}


@transaction.atomic
def set_team_people(*, team, members, leaders):
    members, leaders = list(members), list(leaders)
    problems = team_problems(members=members, leaders=leaders)
    if problems:
        raise ValidationError(problems)
    team.members.set(members)
    team.leaders.set(leaders)
    return team


def _person_fields(record, person):
    """The values a row gives a person. A blank cell keeps what is stored (the level follows the role)."""
    values = {"name": record.name, "role": record.role, "level": record.level}
    if record.phone:
        values["phone"] = record.phone
    if record.village is not None:
        values["village"] = record.village
        values["town"] = record.village.town
    elif record.town is not None:
        values["town"] = record.town
        if person.village_id and person.village.town_id != record.town.pk:
            values["village"] = None  # moved to another town; the old village no longer applies
    if record.note is not None:
        values["note"] = record.note
    if record.is_active is not None:
        values["is_active"] = record.is_active
    return values


def _apply(person, values):
    """Sets the values; True if any differs from what was stored. Relations compare by id (no query)."""
    changed = False
    for name, value in values.items():
        model_field = Person._meta.get_field(name)
        if model_field.is_relation:
            differs = getattr(person, model_field.attname) != (value.pk if value is not None else None)
        else:
            differs = getattr(person, name) != value
        if differs:
            setattr(person, name, value)
            changed = True
    return changed


def _import_one(record, plan, teams, summary):
    """Writes one checked row; returns the outcome ('added', 'updated' or 'unchanged')."""
    person = record.person or Person()
    is_new = person.pk is None
    changed = _apply(person, _person_fields(record, person))
    if is_new or changed:
        person.full_clean()
        person.save()

    new_teams = [teams[name] for name in record.team_names if (person.pk, teams[name].pk) not in plan.memberships]
    if new_teams:
        person.teams.add(*new_teams)

    for assignment in record.assignments_to_end:
        assignment.until = plan.since - timedelta(days=1)
        assignment.full_clean()
        assignment.save(update_fields=["until"])
        summary.assignments_ended += 1
    held = set(
        ChiefAssignment.objects.filter(
            Q(until__isnull=True) | Q(until__gte=plan.since), person=person, level=record.level,
            waterway__in=record.waterways, since__lte=plan.since,
        ).values_list("waterway_id", flat=True)
    ) if record.waterways and not is_new else set()
    added_assignments = 0
    for waterway in record.waterways:
        if waterway.pk in held:
            continue
        assignment = ChiefAssignment(person=person, waterway=waterway, level=record.level, since=plan.since)
        assignment.full_clean()
        assignment.save()
        added_assignments += 1
    summary.assignments_added += added_assignments

    if is_new:
        return "added"
    return "updated" if changed or new_teams or added_assignments or record.assignments_to_end else "unchanged"


OUTCOME_LABELS = {"added": _lazy("新增"), "updated": _lazy("更新"), "unchanged": _lazy("未变")}


@transaction.atomic
def import_people(*, rows, create_teams=False, since=None, dry_run=False, progress=None):
    """Adds or updates people from checked spreadsheet rows (importing.read_people_file).

    A person is found by phone; a row without a phone (or with one not yet registered) matches the
    person of the same name in the same village who has no phone. Listed teams and waterways are
    added, never removed. All or nothing: any bad row raises PeopleImportError and nothing is
    written. With dry_run everything is done and then rolled back, so the summary is exact.
    """
    with connection.cursor() as cursor:
        cursor.execute(IMPORT_LOCK_SQL, [IMPORT_LOCK_KEY])
    plan = importing.check_rows(rows, create_teams=create_teams, since=since)
    if plan.problems:
        raise PeopleImportError(plan.problems)

    summary = PeopleImportSummary()
    teams = dict(plan.teams)
    for name, kind in plan.new_team_kinds.items():
        team = Team(name=name, kind=kind)
        team.full_clean()
        team.save()
        teams[name] = team
        summary.teams_created.append(name)

    problems = []
    for record in progress(plan.records) if progress else plan.records:
        try:
            outcome = _import_one(record, plan, teams, summary)
        except ValidationError as error:
            # The checks above should catch everything; the model's own rules are the last word.
            problems.append(importing.RowProblem(number=record.number, name=record.name, messages=error.messages))
            continue
        getattr(summary, outcome).append(record.number)
        summary.outcomes.append((record.number, record.name, OUTCOME_LABELS[outcome]))
    if problems:
        raise PeopleImportError(problems)
    if dry_run:
        transaction.set_rollback(True)
    return summary


# --- Creating people, logins, teams and chief posts one at a time ------------------------------

@transaction.atomic
def create_login(*, username, password=None):
    """A new login. Without a password it gets an unusable one: the login exists (it can submit
    and own records) but nobody can sign in with it."""
    user = get_user_model()(username=username)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def create_person(*, name, role, level="", phone="", town=None, village=None, user=None, note=""):
    """A new person, checked as one edited by hand (save_person)."""
    return save_person(person=Person(
        name=name, role=role, level=level, phone=phone, town=town, village=village, user=user, note=note,
    ))


@transaction.atomic
def create_team(*, name, kind, town=None, village=None, members=(), leaders=()):
    """A new team with its members and leaders (leaders must be members)."""
    team = Team(name=name, kind=kind, town=town, village=village)
    team.full_clean()
    team.save()
    return set_team_people(team=team, members=members, leaders=leaders)


@transaction.atomic
def create_chief_assignment(*, person, waterway, level, since, until=None):
    """Makes a person river chief of a waterway at a level from `since` (until `until`, if given)."""
    assignment = ChiefAssignment(person=person, waterway=waterway, level=level, since=since, until=until)
    assignment.full_clean()
    assignment.save()
    return assignment


# --- Production's admin login ------------------------------------------------------------------

# The development password script/server prints: never a production admin's, whatever the validators say.
KNOWN_ADMIN_PASSWORDS = frozenset({"riverwatch", "riverwatch-demo"})


def admin_password_problems(*, username, password):
    """Why a password may not be a production superuser's (empty if it may): Django's password
    validators (AUTH_PASSWORD_VALIDATORS), which create_superuser skips, and the known development ones."""
    from django.contrib.auth import password_validation

    problems = []
    if password.strip().lower() in KNOWN_ADMIN_PASSWORDS:
        problems.append(_("这是开发环境的默认密码，任何人都知道。"))
    try:
        password_validation.validate_password(password, user=get_user_model()(username=username))
    except ValidationError as error:
        problems.extend(error.messages)
    return problems


@transaction.atomic
def ensure_checked_superuser(*, username, password):
    """ensure_superuser for production: an existing login is never touched; a new one only with a
    password that passes admin_password_problems (else ValidationError listing every problem)."""
    if get_user_model().objects.filter(username=username).exists():
        return False
    problems = admin_password_problems(username=username, password=password)
    if problems:
        raise ValidationError(problems)
    return ensure_superuser(username=username, password=password)


# --- A person who leaves: anonymisation (China's Personal Information Protection Law) ----------------

# Sent inside anonymise_person's transaction, before the person's name, phone and login are removed,
# with person= (as stored until now) and label= (the name they get). Later apps delete what they keep
# about the person (patrols: raw GPS fixes, tracks of walks nobody else took part in) and return a
# short Chinese phrase for the note that records the anonymisation (or None).
person_anonymising = Signal()

# Stored, not translated: the register keeps one language.
# A token's id is its digest (knox keeps no other): hex, no longer than knox's column for it.
TOKEN_ID = re.compile("[0-9a-f]{1,%d}" % KNOX_CONSTANTS.DIGEST_LENGTH)
ANONYMISED_NAME = "已注销人员 #{id}"
REMOVED_USERNAME = "removed-{id}"


def anonymised_name(person):
    return ANONYMISED_NAME.format(id=person.pk)


def is_anonymised(person):
    return person.name == anonymised_name(person)


def anonymised_q() -> Q:
    """is_anonymised() as a query condition on Person."""
    before, after = ANONYMISED_NAME.split("{id}")
    return Q(name=Concat(Value(before), Cast("pk", output_field=CharField()), Value(after)))


@dataclass
class AnonymisationSummary:
    person: Person
    posts_ended: int = 0
    posts_removed: int = 0
    teams_left: int = 0
    login_removed: bool = False
    other: list = field(default_factory=list)  # what later apps did, in their words
    note: str = ""


def replace_typed_text(queryset, fields, old, new):
    """Replaces `old` with `new` wherever it was typed or copied into these text fields (a leaver's
    name in notes, say): one UPDATE per field, cut to the field's length."""
    if len(old) < 2:  # a one-character name would rewrite unrelated words
        return
    for name in fields:
        replaced = Replace(F(name), Value(old), Value(new))
        limit = queryset.model._meta.get_field(name).max_length
        queryset.filter(**{f"{name}__contains": old}).update(**{name: Left(replaced, limit) if limit else replaced})


def _replace_in_admin_history(old, new):
    """The admin's history names objects as they were called (a person, "name · waterway" posts)."""
    from django.contrib.admin.models import LogEntry

    replace_typed_text(LogEntry.objects.all(), ["object_repr"], old, new)


def _remove_login(user, new_username):
    """The login stays (activities it submitted and photos it uploaded point at it) but nobody can
    use it: no password, inactive, no privileges, no API token, and a name that says nothing."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    old_username = user.get_username()
    user.username = new_username
    user.first_name = user.last_name = user.email = ""
    user.set_unusable_password()  # also ends its sessions: their hash is of the password
    user.is_active = user.is_staff = user.is_superuser = False
    user.full_clean()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    AuthToken.objects.filter(user=user).delete()  # and its API tokens
    # The lockout counter goes; the security logs keep address and time under the new name.
    AccessAttempt.objects.filter(username=old_username).delete()
    AccessLog.objects.filter(username=old_username).update(username=new_username)
    AccessFailureLog.objects.filter(username=old_username).update(username=new_username)


@transaction.atomic
def anonymise_person(*, person, by):
    """Removes what identifies a person who leaves, keeping the record of the work done.

    Removed: name (→ "已注销人员 #<id>"), phone, note, town and village, ID type and last four
    characters, volunteer number, team memberships and
    leaderships, the login's use (see _remove_login); later apps remove their own personal detail
    (person_anonymising). Kept: the person row itself, their role and level, service records and
    chief posts (so counts and compliance history stay true); an open post ends today and a post
    not yet begun is removed. The note records when and by whom. `by`: the staff login doing it."""
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    if is_anonymised(person):
        raise ValidationError(_("%(name)s 已经注销过了。") % {"name": person.name})
    if by is not None and person.user_id is not None and person.user_id == by.pk:
        raise ValidationError(_("不能注销您自己的人员档案。"))
    label = anonymised_name(person)
    summary = AnonymisationSummary(person=person)
    old_name = person.name

    for _receiver, response in person_anonymising.send(sender=Person, person=person, label=label):
        if response:
            summary.other.append(str(response))

    if person.user is not None:
        _remove_login(person.user, REMOVED_USERNAME.format(id=person.pk))
        summary.login_removed = True

    summary.teams_left = person.teams.count() + person.led_teams.count()
    person.teams.clear()
    person.led_teams.clear()

    today = timezone.localdate()
    not_begun = person.chief_assignments.filter(since__gt=today)
    summary.posts_removed = not_begun.count()
    not_begun.delete()
    summary.posts_ended = person.chief_assignments.filter(Q(until__isnull=True) | Q(until__gt=today)).update(until=today)

    _replace_in_admin_history(old_name, label)
    if person.phone:
        _replace_in_admin_history(person.phone, "")

    done = ["姓名", "电话", "备注", "所在地", "队伍", "证件信息", "志愿者编号"] + (["登录账号"] if summary.login_removed else [])
    parts = [
        "{when}（北京时间）由 {by} 注销并匿名化：删除了{done}".format(
            when=local_minute(timezone.now()),
            by=by.get_username() if by is not None else "系统", done="、".join(done),
        ),
    ]
    if summary.posts_ended or summary.posts_removed:
        parts.append("河长任命结束 {ended} 条、删除未到任 {removed} 条，历史任命保留".format(
            ended=summary.posts_ended, removed=summary.posts_removed))
    parts += summary.other
    parts.append("活动、服务记录和河段巡查记录保留")
    summary.note = "；".join(parts) + "。"

    person.name = label
    person.phone = ""
    person.note = summary.note
    person.town = person.village = None
    person.id_type = person.id_tail = person.volunteer_number = ""
    person.is_active = False
    person.full_clean()
    person.save()
    return summary


@transaction.atomic
def set_board_initials_only(*, person, initials_only):
    """Whether public boards (points/) show the person by initials only: their own choice, or staff's."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.board_initials_only = bool(initials_only)
    person.save(update_fields=["board_initials_only", "updated_at"])
    return person


def revoke_token(*, user, token_id):
    """Deletes one of the user's API tokens (by its id, people.selectors.active_tokens); None when
    they have no such token, someone else's included, or the id could not be one (a digest is hex)."""
    if not isinstance(token_id, str) or not TOKEN_ID.fullmatch(token_id):
        return None
    token = AuthToken.objects.filter(user=user, digest=token_id).first()
    if token is not None:
        token.delete()
    return token


def issue_token(*, user):
    """A new API token for the signed-in user (for QGIS, GDAL or a script), valid for
    API_TOKEN_TTL_DAYS. Returns (instance, token): the token itself exists only in this answer."""
    return AuthToken.objects.create(user=user, expiry=timedelta(days=settings.API_TOKEN_TTL_DAYS))


def revoke_all_tokens(*, user) -> int:
    return AuthToken.objects.filter(user=user).delete()[0]
