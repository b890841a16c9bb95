import pytest
from django.core.management import call_command

from patrols.default_rules import add_default_rules
from patrols.models import PatrolRule
from waterways.models import Waterway


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The shipped district data, loaded once into the test database."""
    with django_db_blocker.unblock():
        call_command("load_district_data", verbosity=0)


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(settings, tmp_path):
    """Uploaded photos go to a folder of the test's own, never into the checkout."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def district_data(db):
    """The district's data. Browser tests flush the database when they end, so reload if gone."""
    if not Waterway.objects.exists():
        call_command("load_district_data", verbosity=0)
    # A transactional test's flush also empties the rows the data migration put in.
    add_default_rules(PatrolRule)


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user(username="volunteer", password="s3cret-pass")


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client
