"""Who may read or review which activities, and which activities count at all.

Each rule lives here once. Where set-based SQL (vector tiles, reports) needs a rule too, its SQL
fragment sits beside the ORM form and takes the same values as parameters (choice values included),
so the two cannot drift apart unnoticed: tests/patrols/test_scopes.py runs both on the same data.

The reading rule. Office staff read everything. Anyone else reads:
- the activities they submitted or took part in;
- those of the teams they lead (someone of the team took part, or submitted it);
- as a river chief, those on the waterways of their posts today and on every tributary below them:
  the same waterways whose chiefs they see on the compliance page (people.selectors.chief_scope).

The review rule is narrower: a leader of a participant's team, a chief of the activity's own
waterway, or staff; never the submitter or a participant. Correcting a record afterwards
(overturning a verification, removing a participant) is for staff alone; why a participant was
removed, by whom and when, only staff and the removed person read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from people import selectors as people_selectors
from people.models import Person

from .models import Activity, ServiceRecord

# --- Counting: an activity counts unless it was rejected -------------------------------------------

def counted_q(prefix: str = "") -> Q:
    """Q of the activities that count; prefix reaches them from a related model ("activity__")."""
    return ~Q(**{f"{prefix}status": Activity.Status.REJECTED})


COUNTED_SQL = "a.status <> %(rejected)s"


def counted_sql_params() -> dict:
    return {"rejected": Activity.Status.REJECTED.value}


# --- Taking part: activities someone of a role took part in (as their service record says) ----------

def took_part_as_q(role: str) -> Q:
    """Q of the activities in which someone took part as `role` (the role on their service record):
    the activity list's ?role= and every report's role filter (reports.filters)."""
    return Q(Exists(ServiceRecord.objects.filter(activity=OuterRef("pk"), role=role)))


# took_part_as_q on `a`, an activity row; parameter %(role)s.
TOOK_PART_AS_SQL = "EXISTS (SELECT 1 FROM patrols_servicerecord s WHERE s.activity_id = a.id AND s.role = %(role)s)"


# --- Reading -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reader:
    """What the reading rule needs to know about a login, fetched once per request."""

    sees_everything: bool
    user_id: int | None = None
    person_id: int | None = None
    waterway_ids: tuple[int, ...] = ()  # chief scope: posts today and their tributaries
    led_team_ids: tuple[int, ...] = ()

    def sql_params(self) -> dict:
        """Parameters of READABLE_SQL."""
        return {
            "sees_everything": self.sees_everything,
            "viewer_user": self.user_id,
            "viewer_person": self.person_id,
            "chief_waterways": list(self.waterway_ids),
            "led_teams": list(self.led_team_ids),
        }


EVERYTHING = Reader(sees_everything=True)


def reader_of(user, day=None) -> Reader:
    """What the reading rule needs of a login, with the chief posts held on `day` (today)."""
    if people_selectors.is_office_staff(user):
        return EVERYTHING
    person = people_selectors.person_of(user)
    return Reader(
        sees_everything=False,
        user_id=user.pk if user is not None and user.is_authenticated else None,
        person_id=person.pk if person else None,
        waterway_ids=tuple(sorted(people_selectors.chief_scope(person, day))),
        led_team_ids=tuple(people_selectors.led_team_ids(person)),
    )


def _took_part(person_ids=None, team_ids=None):
    """Q: someone (of these people, or of these teams) has a service record on the activity."""
    records = ServiceRecord.objects.filter(activity=OuterRef("pk"))
    records = records.filter(person_id__in=person_ids) if person_ids is not None else records
    records = records.filter(person__teams__in=team_ids) if team_ids is not None else records
    return Q(Exists(records))


def _team_submitted(team_ids):
    """Q: the submitter's person is on one of the teams (a problem report has no service record)."""
    return Q(Exists(Person.objects.filter(user=OuterRef("submitted_by"), teams__in=team_ids)))


def own_q(user, person=None):
    """Q: activities the user submitted or took part in."""
    scope = Q(submitted_by=user)
    if person is not None:
        scope |= _took_part(person_ids=[person.pk])
    return scope


def readable_q(reader: Reader):
    """Q of the activities a Reader may read; None when they read everything."""
    if reader.sees_everything:
        return None
    scope = Q(submitted_by_id=reader.user_id)
    if reader.person_id is not None:
        scope |= _took_part(person_ids=[reader.person_id])
    if reader.led_team_ids:
        scope |= _took_part(team_ids=list(reader.led_team_ids)) | _team_submitted(list(reader.led_team_ids))
    if reader.waterway_ids:
        scope |= Q(waterway_id__in=list(reader.waterway_ids))
    return scope


# The activities readable_q reaches off a chief's waterways, as ids found from the submitter and the
# service records' people (their indexes), not by testing every activity: a read that has the
# waterways' share summed ahead (reports.selectors.tiles) adds these, off them.
READABLE_BESIDES_WATERWAYS_IDS_SQL = """
SELECT a.id FROM patrols_activity a WHERE a.submitted_by_id = %(viewer_user)s
UNION
SELECT vs.activity_id FROM patrols_servicerecord vs
 WHERE vs.person_id IN (SELECT %(viewer_person)s::bigint
                        UNION SELECT vm.person_id FROM people_team_members vm WHERE vm.team_id = ANY(%(led_teams)s::bigint[]))
UNION
SELECT a.id FROM patrols_activity a
  JOIN people_person vp ON vp.user_id = a.submitted_by_id
  JOIN people_team_members vm ON vm.person_id = vp.id
 WHERE vm.team_id = ANY(%(led_teams)s::bigint[])
"""

# readable_q as an SQL condition on `a` (an activity row), parameters from Reader.sql_params(). The
# ids besides the waterways are found once per statement (a hashed subplan), not looked up per row:
# a tile of tracks tests thousands of rows, and two lookups each made a chief's tile 3-5 times
# slower than staff's. The hash holds a reader's own and their teams' activities: well under the
# hash memory (work_mem × hash_mem_multiplier, 8 MB by default, some 100,000 ids) for any team.
READABLE_SQL = """(
       %(sees_everything)s
    OR a.waterway_id = ANY(%(chief_waterways)s::bigint[])
    OR a.id IN (""" + READABLE_BESIDES_WATERWAYS_IDS_SQL + """)
)"""


def readable_by(user, queryset=None, *, day=None):
    """The activities (of `queryset`, else all) that the user may read (with the chief posts held
    on `day`, today by default)."""
    queryset = Activity.objects.all() if queryset is None else queryset
    scope = readable_q(reader_of(user, day))
    return queryset if scope is None else queryset.filter(scope)


# --- Reviewing -----------------------------------------------------------------------------------------

def _overseen_q(person):
    """Q of the activities a person may review as a leader or chief; None when they oversee nothing."""
    scope = None
    team_ids = people_selectors.led_team_ids(person)
    if team_ids:
        scope = _took_part(team_ids=team_ids) | _team_submitted(team_ids)
    waterway_ids = people_selectors.chief_waterway_ids(person)
    if waterway_ids:
        scope = (scope | Q(waterway_id__in=waterway_ids)) if scope else Q(waterway_id__in=waterway_ids)
    return scope


def reviews_own(reviewer, activity) -> bool:
    person = people_selectors.person_of(reviewer)
    return activity.submitted_by_id == reviewer.pk or (
        person is not None and activity.service_records.filter(person=person).exists()
    )


def may_review(reviewer, activity) -> bool:
    if reviews_own(reviewer, activity):
        return False
    if people_selectors.is_office_staff(reviewer):
        return True
    person = people_selectors.person_of(reviewer)
    scope = _overseen_q(person) if person is not None else None
    return scope is not None and Activity.objects.filter(scope, pk=activity.pk).exists()


def may_correct(user) -> bool:
    """Whether a login may correct a record after the fact: overturn a verification (撤销审核并驳回)
    or remove a participant. Office staff only, as the reading rule names them."""
    return people_selectors.is_office_staff(user)


def readable_removals(user, entries) -> list[dict]:
    """The entries of an activity's removed_participants a login may read: office staff every one,
    the removed person their own. The others who read the activity see none, not even that someone
    was removed: the reason is about a person, often a reproach, and not their business."""
    if people_selectors.is_office_staff(user):
        return list(entries)
    person = people_selectors.person_of(user)
    return [entry for entry in entries if person is not None and entry.get("person") == person.pk]
