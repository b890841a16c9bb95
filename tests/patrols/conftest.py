import pytest
from rest_framework.test import APIClient

from .factories import make_person, make_team


@pytest.fixture
def api():
    """An API client logged in as the given Person's user."""

    def as_person(person=None):
        client = APIClient()
        if person is not None:
            client.force_authenticate(person.user)
        return client

    return as_person


@pytest.fixture
def crew(district_data):
    """A small district: a volunteer team with its leader, an outsider, a village chief of 狮子沟, staff."""
    from datetime import date

    from people.models import ChiefAssignment
    from waterways.models import Waterway

    volunteer = make_person(name="张志愿", phone="13900000001")
    teammate = make_person(name="李同伴", phone="13900000002")
    leader = make_person(name="王队长", phone="13900000003")
    outsider = make_person(name="赵路人", phone="13900000004")
    team = make_team(members=[volunteer, teammate], leaders=[leader])
    chief = make_person(name="陈河长", role="chief", level="village", phone="13900000005")
    ChiefAssignment.objects.create(person=chief, waterway=Waterway.objects.get(code="ZW-G07"), level="village",
                                   since=date(2024, 1, 1))
    other_chief = make_person(name="周河长", role="chief", level="village")
    ChiefAssignment.objects.create(person=other_chief, waterway=Waterway.objects.get(code="ZW-G01"), level="village",
                                   since=date(2024, 1, 1))
    staff = make_person(name="河长办小刘", role="staff")
    return {
        "volunteer": volunteer, "teammate": teammate, "leader": leader, "outsider": outsider, "team": team,
        "chief": chief, "other_chief": other_chief, "staff": staff,
    }
