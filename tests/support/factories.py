"""People with logins, teams, and the body the phone posts to /api/activities/."""

import itertools
import uuid

from django.contrib.auth import get_user_model

from people.models import Person, Team

_numbers = itertools.count(1)


def make_person(*, role="volunteer", level="", login=True, name=None, phone="", **extra):
    number = next(_numbers)
    user = None
    if login:
        user = get_user_model().objects.create_user(username=f"user{number}-{uuid.uuid4().hex[:6]}", password="pw-12345")
    return Person.objects.create(name=name or f"人员{number}", role=role, level=level, user=user, phone=phone, **extra)


def make_team(*, members, leaders=(), kind="volunteer"):
    team = Team.objects.create(name=f"队伍{next(_numbers)}", kind=kind)
    team.members.set(list(members) + list(leaders))
    team.leaders.set(leaders)
    return team


def activity_body(fixes=None, *, kind="patrol", client_uuid=None, **extra):
    body = {
        "client_uuid": str(client_uuid or uuid.uuid4()),
        "kind": kind,
        "started_at": "2026-05-01T08:00:00+08:00",
        "ended_at": "2026-05-01T09:00:00+08:00",
    }
    if fixes is not None:
        body["points"] = fixes
    body.update(extra)
    return body
