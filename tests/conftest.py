"""Fixtures every test folder shares: the clock, the district's data, logins, an API client per
person, and a small district of people in each role. Helpers that are not fixtures: tests/support/."""

from datetime import date

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from patrols.default_campaign import add_first_campaign
from patrols.default_rules import add_default_rules
from patrols.models import PatrolRule, ServiceCampaign
from people.models import ChiefAssignment
from points.default_rules import add_default_rules as add_default_point_rules
from points.models import Rule as PointRule
from waterways.models import Waterway

from .support.clock import FROZEN_NOW
from .support.factories import make_person, make_team


@pytest.fixture(autouse=True)
def clock(request):
    """Every test runs at FROZEN_NOW (the clock ticks on from there), whatever day the suite runs
    on; a test about a particular day calls clock.move_to(...). Browser tests keep the real clock:
    the browser's own clock, which the phone app stamps its records with, cannot be moved with it."""
    if request.node.get_closest_marker("e2e"):
        yield None
        return
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The shipped district data, loaded once into the test database."""
    with django_db_blocker.unblock():
        call_command("load_district_data", verbosity=0)


@pytest.fixture(autouse=True)
def no_counts_left_behind(request, django_db_blocker):
    """The cache lives in the database (rw_cache: the login throttle's counts), and a flush after a
    transactional test empties only the models' tables: without this, logins of earlier tests would
    throttle later ones."""
    yield
    if "_django_db_helper" in request.fixturenames:
        with django_db_blocker.unblock():
            cache.clear()


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(settings, tmp_path):
    """Uploaded photos go to a folder of the test's own, never into the checkout."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def district_data(db):
    """The district's data. Browser tests flush the database when they end, so reload if gone."""
    if not Waterway.objects.exists():
        call_command("load_district_data", verbosity=0)
    # A transactional test's flush also empties the rows the data migrations put in.
    add_default_rules(PatrolRule)
    add_first_campaign(ServiceCampaign)
    add_default_point_rules(PointRule)


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user(username="volunteer", password="s3cret-pass")


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def api():
    """api(person) -> an API client logged in as the person's user (api() for nobody)."""

    def as_person(person=None):
        client = APIClient()
        if person is not None:
            client.force_authenticate(person.user)
        return client

    return as_person


@pytest.fixture
def crew(district_data):
    """A small district: a volunteer team with its leader, an outsider, a village chief of 狮子沟
    (ZW-G07), the village chief of 斤坪沟 (ZW-G01), and the office's staff."""
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
