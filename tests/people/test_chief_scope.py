"""A river chief's scope: the waterways of their posts and every tributary below them, each with the
rank of the highest post that covers it. The rank's order is people's (CHIEF_LEVELS_LOW_TO_HIGH); the
SQL takes it as a parameter."""

from datetime import date

import pytest

from people import selectors, services
from people.models import Level, chief_rank
from waterways.models import Waterway

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 1)


@pytest.fixture
def river_and_gully(district_data):
    gully = Waterway.objects.filter(kind="gully", parent__isnull=False).select_related("parent").order_by("code").first()
    return gully.parent, gully


def test_a_post_covers_its_waterway_and_its_tributaries_at_its_rank(river_and_gully):
    river, gully = river_and_gully
    chief = services.create_person(name="乡镇河长", role="chief", level=Level.TOWNSHIP)
    services.create_chief_assignment(person=chief, waterway=river, level=Level.TOWNSHIP, since=date(2025, 1, 1))

    scope = selectors.chief_scope(chief, DAY)

    assert scope[river.pk] == scope[gully.pk] == chief_rank(Level.TOWNSHIP) == 2
    assert set(Waterway.objects.filter(parent=river).values_list("pk", flat=True)) <= set(scope)


def test_the_highest_post_wins_where_two_cover_one_gully(river_and_gully):
    river, gully = river_and_gully
    chief = services.create_person(name="双职河长", role="chief", level=Level.DISTRICT)
    services.create_chief_assignment(person=chief, waterway=gully, level=Level.VILLAGE, since=date(2025, 1, 1))
    services.create_chief_assignment(person=chief, waterway=river, level=Level.DISTRICT, since=date(2025, 1, 1))

    assert selectors.chief_scope(chief, DAY)[gully.pk] == chief_rank(Level.DISTRICT) == 3


def test_posts_outside_their_term_are_not_in_scope(river_and_gully):
    _river, gully = river_and_gully
    chief = services.create_person(name="卸任河长", role="chief", level=Level.VILLAGE)
    services.create_chief_assignment(person=chief, waterway=gully, level=Level.VILLAGE, since=date(2025, 1, 1),
                                     until=date(2026, 5, 31))

    assert selectors.chief_scope(chief, DAY) == {}
    assert selectors.chief_scope(chief, date(2026, 5, 31)) == {gully.pk: chief_rank(Level.VILLAGE)}


def test_the_sql_ranks_levels_in_peoples_order_not_its_own(river_and_gully, monkeypatch):
    _river, gully = river_and_gully
    chief = services.create_person(name="村级河长", role="chief", level=Level.VILLAGE)
    services.create_chief_assignment(person=chief, waterway=gully, level=Level.VILLAGE, since=date(2025, 1, 1))
    assert selectors.chief_scope(chief, DAY)[gully.pk] == 1

    # Were the order ever changed in people.models, the SQL would follow it.
    monkeypatch.setattr(selectors, "CHIEF_LEVELS_LOW_TO_HIGH", [Level.DISTRICT, Level.TOWNSHIP, Level.VILLAGE])
    assert selectors.chief_scope(chief, DAY)[gully.pk] == 3
