"""Reads for the public side of the problem list: the signboard's waterway and chiefs, and the status
a member of the public sees under their tracking code.

The status page gets a PublicStatus, built here from the few columns it may show, never a Problem:
the template cannot reach a name, a phone number, a staff note or another problem by accident."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from people import selectors as people_selectors
from people.models import CHIEF_LEVELS_LOW_TO_HIGH, ChiefAssignment, Role
from waterways.models import Waterway

from .models import Action, Ending, Problem, ProblemEvent, State
from .services import TRACKING_ALPHABET, TRACKING_LENGTH

# What people type: spaces, dashes and lower case are forgiven; anything else is no code.
_TYPED_SEPARATORS = re.compile(r"[\s\-_·.]")
_CODE = re.compile(f"[{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}}")
# A waterway code as the signboards print it (ZW-G07); anything else never reaches the database.
_WATERWAY_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,32}")


# --- the signboard ---

def waterway_by_code(code: str) -> Waterway | None:
    if not _WATERWAY_CODE.fullmatch(code or ""):
        return None
    return Waterway.objects.select_related("parent", "town").filter(code=code).first()


def waterway_line_lonlat(waterway) -> dict | None:
    """The waterway's centre line as a GeoJSON geometry in lon/lat, for the report page's map."""
    text = (Waterway.objects.filter(pk=waterway.pk)
            .annotate(line=AsGeoJSON(Transform("geom", settings.API_SRID), precision=6))
            .values_list("line", flat=True).first())
    return json.loads(text) if text else None


@dataclass
class ChiefRow:
    level: str  # the level's label: 区级, 乡镇级, 村级
    names: list[str]


def current_chiefs(waterway, today: date | None = None) -> list[ChiefRow]:
    """The waterway's chiefs in post today, by level from the highest down; a person who has left
    (anonymised, no longer on the roll) is not named."""
    today = today or timezone.localdate()
    assignments = (people_selectors.assignments_on(today)
                   .filter(waterway=waterway, person__is_active=True)
                   .select_related("person").order_by("person__name", "pk"))
    by_level: dict[str, list[str]] = {}
    for assignment in assignments:
        names = by_level.setdefault(assignment.level, [])
        if assignment.person.name not in names:
            names.append(assignment.person.name)
    labels = dict(ChiefAssignment._meta.get_field("level").choices)
    return [ChiefRow(str(labels[level]), by_level[level])
            for level in reversed(CHIEF_LEVELS_LOW_TO_HIGH) if level in by_level]


def may_print_signboards(user) -> bool:
    """The office's staff and river chiefs (by role, or holding a post today)."""
    if people_selectors.is_office_staff(user):
        return True
    person = people_selectors.person_of(user)
    if person is None or not person.is_active:
        return False
    return person.role == Role.CHIEF or bool(people_selectors.chief_waterway_ids(person))


# --- the tracking code and the status page ---

def normalise_tracking_code(text: str) -> str | None:
    """The code as stored, or None when the text cannot be one (checked before any query)."""
    code = _TYPED_SEPARATORS.sub("", text or "").upper()
    return code if _CODE.fullmatch(code) else None


def problem_by_tracking_code(text: str) -> Problem | None:
    code = normalise_tracking_code(text)
    if code is None:
        return None
    return Problem.objects.filter(tracking_code=code).only("pk", "tracking_code").first()


def _public_states():
    return {
        State.REPORTED: _("已收到待受理"),
        State.ACCEPTED: _("已受理"),
        State.ASSIGNED: _("已交办"),
        State.IN_PROGRESS: _("处理中"),
        State.RESOLVED: _("已办结待核验"),
    }


def _public_endings():
    return {
        Ending.FIXED: _("已解决"),
        Ending.NOT_FIXED: _("未能解决"),
        Ending.DUPLICATE: _("与他人上报的同一问题合并办理"),
        Ending.INVALID: _("经核实不予受理"),
    }


# The move that closed a problem says how it ended (an event keeps no ending of its own).
_ENDING_OF_ACTION = {
    Action.VERIFY: Ending.FIXED, Action.CLOSE_NOT_FIXED: Ending.NOT_FIXED,
    Action.MERGE: Ending.DUPLICATE, Action.REJECT: Ending.INVALID,
}


def _closed_wording(ending: str) -> str:
    return _("已关闭：%(ending)s") % {"ending": _public_endings().get(ending, _("已办结"))}


@dataclass
class PublicStep:
    day: date
    wording: str


@dataclass
class PublicStatus:
    code: str
    state: str  # the state's value, for styling
    wording: str
    category: str
    waterway: str
    reported_on: date
    is_closed: bool
    timeline: list[PublicStep] = field(default_factory=list)


def public_status(code_text: str) -> PublicStatus | None:
    """What the public may see of the problem with this tracking code, or None (the same None for a
    malformed and an unknown code)."""
    code = normalise_tracking_code(code_text)
    if code is None:
        return None
    row = (Problem.objects.filter(tracking_code=code)
           .values("pk", "state", "ending", "not_fixed_reason", "category", "waterway__name", "created_at").first())
    if row is None:
        return None
    if row["state"] == State.CLOSED:
        wording = _closed_wording(row["ending"])
        if row["ending"] == Ending.NOT_FIXED and row["not_fixed_reason"]:
            reasons = dict(Problem._meta.get_field("not_fixed_reason").choices)
            wording = _("%(wording)s（%(reason)s）") % {"wording": wording, "reason": reasons[row["not_fixed_reason"]]}
    else:
        wording = _public_states()[row["state"]]
    categories = dict(Problem._meta.get_field("category").choices)
    return PublicStatus(
        code=code, state=row["state"], wording=wording, category=str(categories.get(row["category"], "")),
        waterway=row["waterway__name"] or _("位置待核实"), reported_on=timezone.localdate(row["created_at"]),
        is_closed=row["state"] == State.CLOSED, timeline=_timeline(row["pk"]),
    )


def _timeline(problem_id) -> list[PublicStep]:
    """The days the problem changed state, and to what: no one's name, no note, no unit, no deadline."""
    states = _public_states()
    steps = []
    events = (ProblemEvent.objects.filter(problem_id=problem_id)
              .filter(Q(action=Action.REPORT) | ~Q(from_state=F("to_state")))
              .order_by("at", "id").values_list("at", "action", "to_state"))
    for at, action, to_state in events:
        if action == Action.REPORT:
            wording = _("已收到上报")
        elif to_state == State.CLOSED:
            wording = _closed_wording(_ENDING_OF_ACTION.get(action, ""))
        elif action in (Action.REOPEN, Action.REINSPECT):
            wording = _("重新办理：%(state)s") % {"state": states[to_state]}
        else:
            wording = states.get(to_state, "")
        steps.append(PublicStep(timezone.localdate(at), wording))
    return steps

