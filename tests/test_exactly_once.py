"""Every record a phone sends is stored exactly once, whatever the network does: requests lost,
answers lost, requests sent twice at once, records out of order, two tabs sending the same outbox.
The phone's protocol is played against the real server (tests/support/outbox.py); the longer run,
with the database restarted under it, is benchmarks/exactly_once.py."""

import random
from collections import Counter
from datetime import timedelta

import pytest
import requests

from patrols.models import Activity, ServiceRecord
from tests.support.factories import make_person, make_team
from tests.support.outbox import Tally, run_trial, trial_records, utc
from tests.support.walks import lonlat_on

pytestmark = pytest.mark.django_db(transaction=True)
TRIALS = 60


def test_every_record_is_stored_once_under_lost_and_doubled_requests(live_server, district_data):
    volunteer = make_person(name="张志愿")
    companions = [make_person(name="李同伴"), make_person(name="王同伴")]
    make_team(members=[volunteer, *companions])
    token = requests.post(live_server.url + "/api/auth/token/",
                          json={"username": volunteer.user.username, "password": "pw-12345"}).json()["token"]
    rng = random.Random(4546)
    tally = Tally()
    spot = lonlat_on("ZW-G07", 800)
    intended = []
    for trial in range(TRIALS):
        records = trial_records(rng, first_start=utc("2020-01-01T00:00") + timedelta(days=trial),
                                lonlat=spot, companions=[person.pk for person in companions])
        assert run_trial(live_server.url, token, rng, tally, records, tabs=rng.choice([1, 1, 2]))
        intended.extend(records)

    assert tally.refused == [] and all(not record.refused for record in intended)
    stored = Counter(str(uuid) for uuid in Activity.objects.values_list("client_uuid", flat=True))
    wanted = Counter(record.body["client_uuid"] for record in intended)
    assert stored == wanted  # none lost, none doubled, nothing else
    assert {record.stored_id for record in intended} == set(Activity.objects.values_list("id", flat=True))
    expected_records = sum(1 + len(record.body["participants"]) for record in intended)
    assert ServiceRecord.objects.count() == expected_records
    # The faults really happened, or the test proves nothing.
    assert tally.requests_lost and tally.answers_lost and tally.sent_twice
