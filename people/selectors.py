"""Reads about people: who a login is, what they lead, which waterways they are chief of."""

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken

from .models import CHIEF_LEVELS_LOW_TO_HIGH, DEMO_NOTE, ChiefAssignment, Person, Role, Team


def person_of(user):
    """The Person linked to a login, or None."""
    if not user or not user.is_authenticated:
        return None
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def is_office_staff(user):
    """Staff manage everything: Django staff logins, and people whose role is staff."""
    if not user or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    person = person_of(user)
    return bool(person and person.role == Role.STAFF and person.is_active)


def led_team_ids(person):
    if person is None:
        return []
    return list(Team.objects.filter(leaders=person).values_list("id", flat=True))


def assignments_on(day):
    return ChiefAssignment.objects.filter(Q(since__lte=day), Q(until__isnull=True) | Q(until__gte=day))


def chief_waterway_ids(person, day=None):
    """Waterways the person is river chief of on `day` (today by default)."""
    if person is None:
        return []
    day = day or timezone.localdate()
    return list(assignments_on(day).filter(person=person).values_list("waterway_id", flat=True))


# The waterways a chief oversees on a day, with the rank of their highest post there: the waterways
# of their posts and every tributary below them (any depth, via parent). UNION (not UNION ALL)
# drops repeated rows, so even a parent cycle in bad data ends the recursion.
CHIEF_SCOPE_SQL = """
WITH RECURSIVE scope(waterway_id, rank) AS (
    SELECT a.waterway_id, array_position(%(levels_low_to_high)s::text[], a.level::text)
      FROM people_chiefassignment a
     WHERE a.person_id = %(person)s AND a.since <= %(day)s AND (a.until IS NULL OR a.until >= %(day)s)
    UNION
    SELECT w.id, s.rank
      FROM waterways_waterway w
      JOIN scope s ON w.parent_id = s.waterway_id
)
SELECT waterway_id, MAX(rank) FROM scope GROUP BY waterway_id
"""


def chief_scope(person, day=None) -> dict[int, int]:
    """{waterway_id: rank of the person's highest post there or on a waterway it flows into} on
    `day` (today by default): what a river chief oversees. Empty for someone who holds no post."""
    if person is None:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(CHIEF_SCOPE_SQL, {
            "person": person.pk, "day": day or timezone.localdate(),
            "levels_low_to_high": [str(level) for level in CHIEF_LEVELS_LOW_TO_HIGH],
        })
        return dict(cursor.fetchall())


def teammate_ids(person):
    """People who share a team with `person`, the person included."""
    if person is None:
        return set()
    ids = set(Person.objects.filter(teams__members=person).values_list("id", flat=True))
    ids.add(person.id)
    return ids


def is_self_or_staff(viewer, person):
    """The person themself or the office's staff: who may read what is a person's own (their phone,
    their points statement, their certificates)."""
    return is_office_staff(viewer) or person_of(viewer) == person


def may_see_phone(viewer, person):
    """Nobody reads another person's phone number unless staff."""
    return is_self_or_staff(viewer, person)


def people_visible_to(user):
    """Everyone may see names and roles (to pick companions); phones are filtered by may_see_phone."""
    return Person.objects.filter(is_active=True).select_related("town", "village")


# A user's own API tokens are listed by their first characters (a token starts with them; the rest is
# never stored) and revoked by id: knox's key for the row, the token's SHA-512 digest, which cannot
# be turned back into the token.
TOKEN_PREFIX_LENGTH = 8


def active_tokens(user):
    """The user's API tokens that still work, newest first."""
    now = timezone.now()
    return AuthToken.objects.filter(Q(expiry__isnull=True) | Q(expiry__gt=now), user=user).order_by("-created")


def key_prefix(token) -> str:
    return token.token_key[:TOKEN_PREFIX_LENGTH]


def has_demo_people() -> bool:
    """Whether the demo's people are in the database (their notes start with DEMO_NOTE)."""
    return Person.objects.filter(note__startswith=DEMO_NOTE).exists()
