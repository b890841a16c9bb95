import pytest

from tests.support.certificates import RESIDENT_ID, served, set_issuer
from tests.support.clock import beijing


@pytest.fixture
def issuer(db):
    return set_issuer()


@pytest.fixture
def volunteer(crew):
    """张志愿 with a resident ID (only its last four kept) and a volunteer number."""
    from people.identity import id_tail_of

    person = crew["volunteer"]
    person.id_type, person.id_tail, person.volunteer_number = "resident_id", id_tail_of("resident_id", RESIDENT_ID), "HB4203-0815"
    person.save()
    return person


@pytest.fixture
def year_of_service(crew, volunteer):
    """张志愿's 2026: verified 2.0 + 1.5 + 0.5 (the last at 23:30 on 31 October, Beijing), one record
    waiting for review and one rejected in the period; verified ones just outside it (30 September
    23:50, 1 November 00:10). Period used: 2026-10-01 … 2026-10-31."""
    staff = crew["staff"].user
    return {
        "counted": [
            served(volunteer, beijing("2026-10-01 00:05"), minutes=120, reviewer=staff),
            served(volunteer, beijing("2026-10-12 09:00"), minutes=90, reviewer=staff, kind="cleanup"),
            served(volunteer, beijing("2026-10-31 23:30"), minutes=30, reviewer=staff),
        ],
        "pending": served(volunteer, beijing("2026-10-20 08:00"), minutes=180, decision=None),
        "rejected": served(volunteer, beijing("2026-10-21 08:00"), minutes=240, decision="reject", reviewer=staff),
        "outside": [
            served(volunteer, beijing("2026-09-30 23:50"), minutes=5, reviewer=staff),
            served(volunteer, beijing("2026-11-01 00:10"), minutes=60, reviewer=staff),
        ],
    }
