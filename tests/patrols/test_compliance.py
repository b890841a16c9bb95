"""Patrol rules by river-chief level: a patrol under the minimum is kept, marked as not counting, with the reason."""

from datetime import date

import pytest

from patrols.models import Activity, PatrolRule
from people.models import ChiefAssignment
from waterways.models import Waterway

from .factories import activity_body, make_person, walk_along


def _patrol(client, *, metres, minutes, participants=(), code="ZW-G07"):
    # A fix every 10 m; the walk's pace sets the duration.
    steps = int(metres / 10)
    fixes = walk_along(code, length_m=metres, step_m=10, seconds_per_step=minutes * 60 / steps)
    response = client.post("/api/activities/", activity_body(fixes, participants=[p.id for p in participants]),
                           format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"])


def _post_holder(*, role, level, code, post, since, until=None):
    """A person holding a river-chief post on a waterway (whatever their role)."""
    person = make_person(role=role, level=level)
    ChiefAssignment.objects.create(person=person, waterway=Waterway.objects.get(code=code), level=post,
                                   since=since, until=until)
    return person


def test_the_default_rules_are_the_reference_figures(db):
    rules = {rule.level: rule for rule in PatrolRule.objects.all()}
    assert (rules["district"].period, rules["district"].min_duration_min, rules["district"].min_distance_m) == ("quarter", 30, 0)
    assert (rules["township"].period, rules["township"].min_distance_m, rules["township"].season_start_month) == ("month", 2000, 3)
    assert (rules["village"].period, rules["village"].min_duration_min, rules["village"].min_distance_m) == ("week", 30, 2000)


def test_a_village_chiefs_short_patrol_is_kept_but_does_not_count(crew, api):
    activity = _patrol(api(crew["chief"]), metres=1200, minutes=20)
    assert activity.counts_for_compliance is False
    assert "30 分钟" in activity.compliance_note and "2.0 公里" in activity.compliance_note
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_a_village_chiefs_full_patrol_counts(crew, api):
    activity = _patrol(api(crew["chief"]), metres=2300, minutes=45)
    assert activity.counts_for_compliance is True
    assert "村级" in activity.compliance_note


def test_a_district_chief_needs_time_but_no_distance(district_data, api):
    chief = _post_holder(role="chief", level="district", code="ZW-R01", post="district", since=date(2020, 1, 1))
    assert _patrol(api(chief), metres=800, minutes=35, code="ZW-R01").counts_for_compliance is True


def test_a_volunteers_patrol_has_no_chief_rule_to_meet(crew, api):
    activity = _patrol(api(crew["volunteer"]), metres=500, minutes=10)
    assert activity.counts_for_compliance is None
    assert "无河长" in activity.compliance_note


def test_a_deputy_who_is_also_a_village_chief_is_measured_by_the_assignment(district_data, api):
    deputy = _post_holder(role="deputy", level="township", code="ZW-G07", post="village", since=date(2026, 1, 1))
    assert _patrol(api(deputy), metres=1000, minutes=40).counts_for_compliance is False


def test_an_assignment_that_ended_before_the_patrol_does_not_apply(district_data, api):
    former = _post_holder(role="deputy", level="township", code="ZW-G07", post="village", since=date(2020, 1, 1),
                          until=date(2025, 12, 31))
    assert _patrol(api(former), metres=1000, minutes=40).counts_for_compliance is None


def test_the_office_edits_a_rule_and_new_patrols_follow_it(crew, api):
    PatrolRule.objects.filter(level="village").update(min_duration_min=15, min_distance_m=1000)
    assert _patrol(api(crew["chief"]), metres=1200, minutes=20).counts_for_compliance is True


@pytest.mark.parametrize("kind", ["cleanup", "sewer_inspection"])
def test_only_patrols_are_measured(crew, api, kind):
    response = api(crew["chief"]).post("/api/activities/", activity_body(kind=kind, point=[110.55, 32.70]), format="json")
    assert Activity.objects.get(pk=response.json()["id"]).counts_for_compliance is None


def test_a_former_chief_whose_post_ended_patrols_as_a_volunteer_would(district_data, api):
    former = _post_holder(role="chief", level="village", code="ZW-G07", post="village", since=date(2020, 1, 1),
                          until=date(2025, 12, 31))
    activity = _patrol(api(former), metres=1000, minutes=40)
    assert activity.counts_for_compliance is None


def test_each_chief_is_measured_by_their_own_level(crew, api):
    """A district chief and the village chief walk 1 km for 40 minutes: it counts for the district
    chief (no distance minimum) and not for the village chief (2 km)."""
    district_chief = _post_holder(role="chief", level="district", code="ZW-G07", post="district", since=date(2020, 1, 1))
    activity = _patrol(api(crew["staff"]), metres=1000, minutes=40, participants=[crew["chief"], district_chief])
    assert activity.counts_for_compliance is True
    verdicts = {chief["level"]: chief["meets"] for chief in activity.compliance_detail["chiefs"]}
    assert verdicts == {"district": True, "village": False}
    assert "陈河长（村级河长）：不计入考核" in activity.compliance_note
    assert "（区级河长）：符合巡河要求" in activity.compliance_note


def test_a_chief_patrolling_another_chiefs_gully_is_not_measured(crew, api):
    activity = _patrol(api(crew["other_chief"]), metres=2500, minutes=45)  # chief of ZW-G01, walking ZW-G07
    assert activity.waterway.code == "ZW-G07"
    assert activity.counts_for_compliance is None
    assert "不是这条河道的河长" in activity.compliance_note


def test_the_reason_reads_in_the_viewers_language(crew, api):
    from django.utils import translation

    activity = _patrol(api(crew["chief"]), metres=1200, minutes=20)
    with translation.override("en"):
        assert "30 min" in activity.compliance_note
