"""Which activities a report counts, under the filters every river-chief map layer and report shares:
period, waterway, kind, role, team. The rule is written once, as an ORM filter (counted_activities)
and, beside it, as the SQL condition the set-based reports run (ACTIVITY_SCOPE_CONDITIONS), both fed
the same values: an activity counts when it was not rejected (patrols.scopes), is of the chosen
kinds, and someone of the chosen role (patrols.scopes.took_part_as_q, which the activity list shares)
and team took part in it; and, for the period, when it started in the period (district dates; `end`
is included).

The waterway filter is left to each reader: coverage restricts reaches, the activity layers restrict
activities, problems are placed by their own snapped waterway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Q

from patrols import scopes
from patrols.models import Activity, ServiceRecord
from riverwatch.dates import day_bounds


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    waterway_ids: tuple[int, ...] | None = None  # None: every waterway
    kinds: tuple[str, ...] | None = None
    role: str | None = None
    team_id: int | None = None

    @property
    def start_at(self) -> datetime:
        return day_bounds(self.start, self.end)[0]

    @property
    def end_at(self) -> datetime:
        """The first moment after the period (exclusive bound)."""
        return day_bounds(self.start, self.end)[1]

    @property
    def narrows_activities(self) -> bool:
        """Whether kind, role or team leave out some activities that are not rejected."""
        return self.kinds is not None or self.role is not None or self.team_id is not None

    def sql_params(self) -> dict:
        return {
            **scopes.counted_sql_params(),
            "start_at": self.start_at,
            "end_at": self.end_at,
            "waterways": list(self.waterway_ids) if self.waterway_ids is not None else None,
            "kinds": list(self.kinds) if self.kinds is not None else None,
            "role": self.role,
            "team": self.team_id,
        }


# --- The ORM form ------------------------------------------------------------------------------------

def scope_q(filters: ReportFilters) -> Q:
    """Q of the activities that count, of the chosen kinds, role and team (any time)."""
    condition = scopes.counted_q()
    if filters.kinds is not None:
        condition &= Q(kind__in=filters.kinds)
    if filters.role:
        condition &= scopes.took_part_as_q(filters.role)
    if filters.team_id:
        condition &= Q(Exists(ServiceRecord.objects.filter(activity=OuterRef("pk"), person__teams=filters.team_id)))
    return condition


def counted_activities(filters: ReportFilters, queryset=None):
    """The activities (of queryset, else all) that a report over the period counts."""
    queryset = Activity.objects.all() if queryset is None else queryset
    return queryset.filter(scope_q(filters), started_at__gte=filters.start_at, started_at__lt=filters.end_at)


# --- The SQL form (on `a`, an activity row; parameters from ReportFilters.sql_params()) -------------

# The activities someone of %(team)s took part in (its members today). A read that must start from
# them (the team is a few people among thousands) looks them up itself (coverage: by id, as an
# array): under the optional form below, `(team IS NULL OR …)`, PostgreSQL cannot start from them.
TEAM_ACTIVITY_IDS_SQL = """
SELECT DISTINCT s.activity_id FROM patrols_servicerecord s
  JOIN people_team_members m ON m.person_id = s.person_id
 WHERE m.team_id = %(team)s"""

# scope_q. Without the period it serves problems, which belong to the period they were observed in,
# and coverage, which looks at all history before the end.
ACTIVITY_SCOPE_CONDITIONS = """
       """ + scopes.COUNTED_SQL + """
   AND (%(kinds)s::text[] IS NULL OR a.kind = ANY(%(kinds)s::text[]))
   AND (%(role)s::text IS NULL OR """ + scopes.TOOK_PART_AS_SQL + """)
   AND (%(team)s::bigint IS NULL OR a.id IN (""" + TEAM_ACTIVITY_IDS_SQL + """))
"""

# counted_activities.
ACTIVITY_FILTER_CONDITIONS = """
       a.started_at >= %(start_at)s AND a.started_at < %(end_at)s
   AND """ + ACTIVITY_SCOPE_CONDITIONS

FILTERED_ACTIVITIES_SQL = """
SELECT a.id, a.kind, a.started_at, a.waterway_id
  FROM patrols_activity a
 WHERE """ + ACTIVITY_FILTER_CONDITIONS
