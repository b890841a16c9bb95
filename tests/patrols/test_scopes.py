"""Who may read which activities (patrols.scopes): the rule's ORM form and its SQL form (used by the
vector tiles) select the same activities for every kind of user, and a chief reads the work on the
waterways of their posts and on every tributary below them, no further."""

import uuid
from datetime import date, timedelta

from django.db import connection

from patrols import scopes
from patrols.models import Activity, ServiceRecord
from people.models import ChiefAssignment
from tests.support.clock import beijing
from tests.support.factories import make_person
from waterways.models import Waterway


def _work(person, code, *, kind="patrol", others=()):
    at = beijing("2026-05-04 09:00")
    activity = Activity.objects.create(
        client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=kind, submitted_by=person.user, started_at=at,
        ended_at=at + timedelta(hours=1), waterway=Waterway.objects.get(code=code) if code else None,
    )
    if kind != "problem_report":
        for someone in (person, *others):
            ServiceRecord.objects.create(activity=activity, person=someone, role=someone.role, level=someone.level,
                                         hours=1)
    return activity


def _in_sql(user):
    with connection.cursor() as cursor:
        cursor.execute("SELECT a.id FROM patrols_activity a WHERE " + scopes.READABLE_SQL,
                       scopes.reader_of(user).sql_params())
        return {row[0] for row in cursor.fetchall()}


def _in_orm(user):
    return set(scopes.readable_by(user).values_list("id", flat=True))


def test_the_sql_and_orm_forms_of_the_reading_rule_select_the_same_activities(crew):
    township = make_person(name="堵河乡镇河长", role="chief", level="township")
    ChiefAssignment.objects.create(person=township, waterway=Waterway.objects.get(code="ZW-R01"), level="township",
                                   since=date(2024, 1, 1))
    _work(crew["volunteer"], "ZW-G07", others=[crew["teammate"]])
    _work(crew["teammate"], "ZW-G01", kind="cleanup")
    _work(crew["volunteer"], "ZW-G07", kind="problem_report")  # no service record: the submitter only
    _work(crew["outsider"], "ZW-R03")
    _work(crew["outsider"], None, kind="other")
    _work(crew["other_chief"], "ZW-G01")
    _work(crew["chief"], "ZW-G07", kind="sewer_inspection")
    people = dict(crew, township=township)
    for who in ("volunteer", "teammate", "leader", "outsider", "chief", "other_chief", "township", "staff"):
        user = people[who].user
        assert _in_sql(user) == _in_orm(user), who
        assert _in_orm(user), who  # everyone here reads something, so agreement is not two empty sets
    assert _in_orm(crew["staff"].user) == set(Activity.objects.values_list("id", flat=True))


def test_a_chief_reads_the_work_on_their_waters_and_the_tributaries_below_and_no_further(crew):
    township = make_person(name="堵河乡镇河长", role="chief", level="township")
    ChiefAssignment.objects.create(person=township, waterway=Waterway.objects.get(code="ZW-R01"), level="township",
                                   since=date(2024, 1, 1))
    on_river = _work(crew["outsider"], "ZW-R01")
    on_gully = _work(crew["outsider"], "ZW-G07")  # a gully of the 堵河
    on_tributary_of_tributary = _work(crew["outsider"], "ZW-G16")  # a gully of the 犟河, itself a tributary
    other_system = _work(crew["outsider"], "ZW-R03")  # the 神定河 flows elsewhere
    readable = _in_orm(township.user)
    assert {on_river.pk, on_gully.pk, on_tributary_of_tributary.pk} <= readable
    assert other_system.pk not in readable
    # A village chief reads their own gully, not the river it flows into nor a neighbouring gully.
    village = _in_orm(crew["chief"].user)
    assert on_gully.pk in village and on_river.pk not in village and on_tributary_of_tributary.pk not in village


def test_reading_is_wider_than_reviewing_a_township_chief_reads_a_gully_but_does_not_review_it(crew):
    township = make_person(name="堵河乡镇河长", role="chief", level="township")
    ChiefAssignment.objects.create(person=township, waterway=Waterway.objects.get(code="ZW-R01"), level="township",
                                   since=date(2024, 1, 1))
    on_gully = _work(crew["outsider"], "ZW-G07")
    assert on_gully.pk in _in_orm(township.user)
    assert not scopes.may_review(township.user, on_gully)
    assert scopes.may_review(crew["chief"].user, on_gully)  # the gully's own chief
    assert not scopes.may_review(crew["outsider"].user, on_gully)  # never one's own


def test_an_ended_post_no_longer_opens_its_waters(crew):
    former = make_person(name="卸任河长", role="chief", level="village")
    ChiefAssignment.objects.create(person=former, waterway=Waterway.objects.get(code="ZW-G09"), level="village",
                                   since=date(2020, 1, 1), until=date(2025, 12, 31))
    gully_work = _work(crew["outsider"], "ZW-G09")
    assert gully_work.pk not in _in_orm(former.user) and gully_work.pk not in _in_sql(former.user)
