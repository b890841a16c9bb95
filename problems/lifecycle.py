"""The transition table: every move a problem can make, from which states, to which, who may make
it and what it needs. problems.services applies it; the pages and the API ask it which buttons to
show (`allowed_actions`), so the rule has one owner.

Who (the viewer's relation to the problem, from `relations_of`):
- staff: the district office (people.selectors.is_office_staff);
- chief: a river chief whose scope (their waterways and every tributary below) holds the problem's waterway;
- member: a member of the problem's responsible unit;
- resolver: whoever recorded the resolution now waiting for verification (may not verify it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from people import selectors as people_selectors

from .models import Action, Ending, State

STAFF, CHIEF, MEMBER, RESOLVER = "staff", "chief", "member", "resolver"


@dataclass(frozen=True)
class Move:
    action: str
    from_states: frozenset
    to_state: str | None  # None: stays where it is (supervise, comment, a passed re-inspection)
    who: frozenset
    needs_note: bool = False
    needs_photo: bool = False
    ending: str = ""
    not_by_resolver: bool = False
    needs_fixed: bool = False  # only after a fixed ending (the quarter's re-inspection)


_OPEN_TO_WORK = frozenset({State.ACCEPTED, State.ASSIGNED, State.IN_PROGRESS})

MOVES = {
    move.action: move for move in [
        Move(Action.ACCEPT, frozenset({State.REPORTED}), State.ACCEPTED, frozenset({STAFF})),
        Move(Action.REJECT, frozenset({State.REPORTED, State.ACCEPTED}), State.CLOSED, frozenset({STAFF}),
             needs_note=True, ending=Ending.INVALID),
        Move(Action.MERGE, frozenset({State.REPORTED, State.ACCEPTED}), State.CLOSED, frozenset({STAFF}),
             ending=Ending.DUPLICATE),
        Move(Action.ASSIGN, _OPEN_TO_WORK, State.ASSIGNED, frozenset({STAFF})),
        Move(Action.START, frozenset({State.ASSIGNED}), State.IN_PROGRESS, frozenset({MEMBER})),
        Move(Action.RESOLVE, frozenset({State.ASSIGNED, State.IN_PROGRESS}), State.RESOLVED, frozenset({MEMBER}),
             needs_note=True, needs_photo=True),
        Move(Action.VERIFY, frozenset({State.RESOLVED}), State.CLOSED, frozenset({STAFF, CHIEF}),
             ending=Ending.FIXED, not_by_resolver=True),
        Move(Action.SEND_BACK, frozenset({State.RESOLVED}), State.IN_PROGRESS, frozenset({STAFF, CHIEF}),
             needs_note=True, not_by_resolver=True),
        Move(Action.CLOSE_NOT_FIXED, _OPEN_TO_WORK | {State.RESOLVED}, State.CLOSED, frozenset({STAFF}),
             needs_note=True, ending=Ending.NOT_FIXED),
        Move(Action.REOPEN, frozenset({State.CLOSED}), State.ACCEPTED, frozenset({STAFF, CHIEF}), needs_note=True),
        Move(Action.SUPERVISE, _OPEN_TO_WORK, None, frozenset({STAFF}), needs_note=True),
        Move(Action.REINSPECT, frozenset({State.CLOSED}), None, frozenset({STAFF, CHIEF}), needs_note=True,
             needs_fixed=True),
        Move(Action.COMMENT, frozenset(State.values), None, frozenset({STAFF, CHIEF, MEMBER}), needs_note=True),
    ]
}

# Escalation is the system's alone (the daily command), never a person's button.
SYSTEM_ACTIONS = {Action.ESCALATE, Action.REPORT}


def relations_of(user, problem) -> set[str]:
    """How this login stands to this problem (see the module's docstring)."""
    if not user or not user.is_authenticated:
        return set()
    relations = set()
    if people_selectors.is_office_staff(user):
        relations.add(STAFF)
    person = people_selectors.person_of(user)
    if person is not None:
        if problem.waterway_id and problem.waterway_id in people_selectors.chief_scope(person):
            relations.add(CHIEF)
        if problem.unit_id and problem.unit.members.filter(pk=person.pk).exists():
            relations.add(MEMBER)
    if problem.state == State.RESOLVED and problem.resolved_by_id == user.pk:
        relations.add(RESOLVER)
    return relations


def why_not(move: Move, problem, relations: set[str]) -> str | None:
    """None if the move is allowed; else the reason, in the viewer's language."""
    if problem.state not in move.from_states:
        return _("问题当前状态为“%(state)s”，不能%(action)s。") % {
            "state": State(problem.state).label, "action": Action(move.action).label}
    if move.needs_fixed and problem.ending != Ending.FIXED:
        return _("只有已解决的问题才做回头看。")
    if not relations & move.who:
        return _("你无权对这个问题执行“%(action)s”。") % {"action": Action(move.action).label}
    if move.not_by_resolver and RESOLVER in relations:
        return _("不能核验自己办结的问题，请由河长或河长办核验。")
    return None


def allowed_actions(user, problem) -> list[str]:
    """The moves this login may make on this problem now, in the table's order."""
    relations = relations_of(user, problem)
    return [action for action, move in MOVES.items() if why_not(move, problem, relations) is None]
