"""Finding, removing and summing up the demo data already in the database.

The demo is what carries its marks (planner.DEMO_NOTE on people, demo-… usernames on logins), the
activities demo logins submitted, the problems found in them, entered by demo logins or carrying a
demo client uuid (closed_loop.DEMO_PROBLEM_UUIDS: the public's, which have no reporter), the
responsible units whose members are all demo people, and the points of demo people (their ledger
entries and redemptions) with the catalogue items marked DEMO_NOTE. Nothing else is ever deleted.
"""

import os
from collections import Counter
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext

from patrols import selectors
from patrols.models import Activity, ReachVisit, ServiceRecord
from people.models import ChiefAssignment, Person, Role, Team
from points.models import Entry, Item, Redemption
from problems.models import Problem, ProblemEvent, ProblemPhoto, ResponsibleUnit, Source

from .closed_loop import DEMO_PROBLEM_UUIDS
from .planner import DEMO_NOTE, DEMO_USERNAME_PATTERN


def demo_people():
    return Person.objects.filter(note__startswith=DEMO_NOTE)


def demo_problems(user_ids, activity_ids):
    """Problems found in demo activities, entered by demo logins, or entered by the demo for the public."""
    return Problem.objects.filter(
        Q(activity_id__in=activity_ids) | Q(reported_by_id__in=user_ids) | (Q(client_uuid__range=DEMO_PROBLEM_UUIDS) & Q(reported_by__isnull=True, source=Source.PUBLIC))
    )


def demo_units(person_ids):
    """Units with demo members and no other, whose supervisor, if any, is a demo person. person_ids: a
    list (as a subquery, the "no other" test becomes a nested NOT IN that PostgreSQL runs row by row)."""
    person_ids = list(person_ids)
    members = ResponsibleUnit.members.through.objects.filter(responsibleunit=OuterRef("pk"))
    return (ResponsibleUnit.objects.filter(Exists(members.filter(person_id__in=person_ids)))
            .exclude(Exists(members.exclude(person_id__in=person_ids)))
            .exclude(Q(supervisor__isnull=False) & ~Q(supervisor_id__in=person_ids)))


def demo_items():
    return Item.objects.filter(description__startswith=DEMO_NOTE)


def demo_entries(person_ids):
    return Entry.objects.filter(person_id__in=person_ids)


def demo_redemptions(person_ids):
    return Redemption.objects.filter(person_id__in=person_ids)


def _points_entangled(person_ids, user_ids, activity_ids, problem_ids) -> int:
    """Points rows of real people that name the demo: entries on demo activities or problems, or made
    by demo logins; redemptions of demo items or recorded by demo logins."""
    entries = Entry.objects.exclude(person_id__in=person_ids).filter(
        Q(activity_id__in=activity_ids) | Q(problem_id__in=problem_ids) | Q(made_by_id__in=user_ids))
    redemptions = Redemption.objects.exclude(person_id__in=person_ids).filter(
        Q(item__in=demo_items()) | Q(made_by_id__in=user_ids))
    return entries.count() + redemptions.count()


def _delete_points(person_ids) -> dict:
    """The demo people's ledger entries, their redemptions and the demo's items. The ledger is
    append-only (a trigger refuses DELETE, migration points 0002) except in a transaction that says
    it purges: this one, for these rows only."""
    entry_ids = list(demo_entries(person_ids).values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL points.purging = 'on'")
        # One statement: reversals and the entries they reverse (PROTECT in Django) go together.
        cursor.execute("DELETE FROM points_entry WHERE id = ANY(%s)", [entry_ids])
        cursor.execute("SET LOCAL points.purging = 'off'")
    redemptions = demo_redemptions(person_ids).delete()[1].get("points.Redemption", 0)
    items = demo_items().delete()[1].get("points.Item", 0)
    return {"point_entries": len(entry_ids), "redemptions": redemptions, "items": items}


def existing_state():
    """(activities, demo people) in the database."""
    return Activity.objects.count(), demo_people().count()


class DemoEntangled(Exception):
    """Demo records are mixed with real ones; deleting them would take real data along."""


@transaction.atomic
def delete_demo_data():
    """Removes the demo: activities submitted by demo logins, the demo people, their logins
    (usernames demo-…, never a superuser) and teams with only demo members. Refuses, before
    deleting anything, when a demo person took part in an activity a real login submitted or is
    linked to a real login. Returns {what: count}."""
    User = get_user_model()
    people = demo_people()
    person_ids = list(people.values_list("id", flat=True))
    demo_logins = User.objects.filter(username__regex=DEMO_USERNAME_PATTERN, is_superuser=False)
    user_ids = list(demo_logins.values_list("id", flat=True))
    mixed_activities = (
        Activity.objects.filter(service_records__person_id__in=person_ids).exclude(submitted_by_id__in=user_ids).distinct().count()
    )
    real_logins = people.exclude(user=None).exclude(user_id__in=user_ids).count()
    if mixed_activities or real_logins:
        raise DemoEntangled(
            gettext("演示人员出现在 %(activities)d 条非演示提交的活动里、关联了 %(logins)d 个非演示账号，"
                    "为免误删真实数据，未删除任何内容。") % {"activities": mixed_activities, "logins": real_logins}
        )
    activity_ids = list(Activity.objects.filter(submitted_by_id__in=user_ids).values_list("id", flat=True))
    counts = {"activities": len(activity_ids)}
    # Problems outlive their activity on the list; the demo's go with it (their events, photos,
    # re-inspections and notices with them), and so do the demo's units.
    problem_ids = list(demo_problems(user_ids, activity_ids).values_list("id", flat=True))
    unit_ids = list(demo_units(person_ids).values_list("id", flat=True))
    real_problems = Problem.objects.exclude(id__in=problem_ids)
    entangled = (
        real_problems.filter(Q(unit_id__in=unit_ids) | Q(deputy_id__in=person_ids) | Q(duplicate_of_id__in=problem_ids)).count()
        + ProblemEvent.objects.exclude(problem_id__in=problem_ids).filter(Q(unit_id__in=unit_ids) | Q(actor_id__in=user_ids))
        .values("problem_id").distinct().count()
    )
    if entangled:
        raise DemoEntangled(
            gettext("演示责任单位、人员或问题出现在 %(problems)d 个非演示问题里，为免误删真实数据，未删除任何内容。")
            % {"problems": entangled}
        )
    points_entangled = _points_entangled(person_ids, user_ids, activity_ids, problem_ids)
    if points_entangled:
        raise DemoEntangled(
            gettext("%(n)d 条非演示人员的积分记录涉及演示活动、问题、物品或账号，为免误删真实数据，未删除任何内容。")
            % {"n": points_entangled}
        )
    # Points first: their rows keep (PROTECT) the people, logins, activities and problems below.
    counts.update(_delete_points(person_ids))
    files = [name for pair in ProblemPhoto.objects.filter(problem_id__in=problem_ids).values_list("image", "thumbnail")
             for name in pair if name]
    counts["problems"] = len(problem_ids)
    remaining = Problem.objects.filter(id__in=problem_ids)
    while remaining.exists():
        # A duplicate goes before the problem it was merged into (duplicate_of protects it).
        remaining.exclude(id__in=remaining.filter(duplicate_of__isnull=False).values("duplicate_of_id")).delete()
    counts["problem_photos"] = len(files) // 2
    transaction.on_commit(lambda: _delete_files(files))
    counts["units"] = ResponsibleUnit.objects.filter(id__in=unit_ids).delete()[1].get("problems.ResponsibleUnit", 0)
    for start in range(0, len(activity_ids), 500):
        Activity.objects.filter(id__in=activity_ids[start:start + 500]).delete()
    others = Person.objects.exclude(id__in=person_ids)
    team_ids = list(Team.objects.filter(members__id__in=person_ids).exclude(members__in=others).values_list("id", flat=True))
    counts["teams"] = Team.objects.filter(id__in=team_ids).delete()[1].get("people.Team", 0)
    counts["people"] = Person.objects.filter(id__in=person_ids).delete()[1].get("people.Person", 0)
    counts["users"] = User.objects.filter(id__in=user_ids).delete()[1].get(User._meta.label, 0)
    return counts


def _delete_files(names):
    """The demo's photo files, once the rows are gone for good; and their problems' emptied folders."""
    folders = set()
    for name in names:
        default_storage.delete(name)
        folders.add(name.rsplit("/", 1)[0])
    for folder in folders:
        try:
            os.rmdir(default_storage.path(folder))  # only when empty; a storage without paths keeps its folders
        except (NotImplementedError, OSError):
            pass


def demo_user_ids():
    return list(demo_people().exclude(user=None).values_list("user_id", flat=True))


def summary():
    """Figures of the demo data now in the database. Demo activities are those demo logins submitted."""
    people = demo_people()
    activities = Activity.objects.filter(submitted_by_id__in=demo_user_ids())

    def by(queryset, column):
        return dict(queryset.order_by().values_list(column).annotate(n=Count("id")))

    teams = Team.objects.filter(id__in=Team.members.through.objects.filter(person__in=people).values("team_id"))
    problems = demo_problems(demo_user_ids(), activities.values("id"))
    units = demo_units(people.values_list("id", flat=True))
    totals = activities.aggregate(distance=Sum("distance_m"), debris=Sum("debris_kg"))
    entries = Entry.objects.filter(person__in=people)
    points = entries.aggregate(
        earned=Sum("amount", filter=Q(kind__in=[Entry.Kind.CREDIT, Entry.Kind.REVERSAL])),
        adjusted=Sum("amount", filter=Q(kind=Entry.Kind.ADJUSTMENT)),
        redeemed=Sum("amount", filter=Q(kind=Entry.Kind.REDEMPTION)),
        adjustments=Count("id", filter=Q(kind=Entry.Kind.ADJUSTMENT)),
    )
    return {
        "people_by_role": by(people, "role"),
        "levels": {role: by(people.filter(role=role), "level") for role in (Role.DEPUTY, Role.CHIEF)},
        "teams_by_kind": by(teams, "kind"),
        "assignments": ChiefAssignment.objects.filter(person__in=people).count(),
        "activities_by_kind": by(activities, "kind"),
        "activities_by_status": by(activities, "status"),
        "service_records": ServiceRecord.objects.filter(activity__in=activities).count(),
        "distance_m": totals["distance"] or 0.0,
        "reach_visits": ReachVisit.objects.filter(activity__in=activities).count(),
        "problems": Problem.objects.filter(activity__in=activities).count(),
        "units_by_kind": by(ResponsibleUnit.objects.filter(id__in=units.values("id")), "kind"),
        "unit_members": ResponsibleUnit.members.through.objects.filter(responsibleunit__in=units.values("id")).count(),
        "problems_by_source": by(problems, "source"),
        "problems_by_state": by(problems, "state"),
        "problems_by_ending": by(problems, "ending"),
        "problems_escalated": problems.filter(events__action="escalate").distinct().count(),
        "problems_supervised": problems.filter(supervised_at__isnull=False).count(),
        "problems_reopened": problems.filter(reopen_count__gt=0).count(),
        "problem_events": ProblemEvent.objects.filter(problem__in=problems).count(),
        "compliance": Counter(
            verdict.counts for verdict in selectors.compliance_of(
                list(activities.filter(kind=Activity.Kind.PATROL).prefetch_related("service_records"))
            ).values() if verdict.counts is not None
        ),
        "debris_kg": totals["debris"] or Decimal(0),
        "point_entries": entries.count(),
        "points_people": entries.values("person_id").distinct().count(),
        "points_earned": points["earned"] or Decimal(0),
        "points_adjusted": points["adjusted"] or Decimal(0),
        "points_adjustments": points["adjustments"],
        "points_redeemed": -(points["redeemed"] or Decimal(0)),
        "redemptions": Redemption.objects.filter(person__in=people).count(),
        "items": demo_items().count(),
    }
