"""Whether one patrol meets the patrol rule of each chief taking part, as the activity's page and API
say it: a patrol under the minimum is kept, marked as not counting, with the reason. Judged when
shown, so a rejection, a rule edit or a move to another waterway shows at once, as on /compliance/."""

from datetime import date

import pytest
from django.urls import reverse

from patrols import services
from patrols.compliance import PatrolFigures, judge_patrol
from patrols.models import Activity, PatrolRule
from people.models import ChiefAssignment
from reports.selectors.compliance import chief_compliance
from riverwatch.dates import local_day
from tests.support.factories import activity_body, make_person
from tests.support.walks import walk_along
from waterways.models import Waterway


class Patrol:
    """A recorded patrol as its API shows it, read again after each change."""

    def __init__(self, client, pk):
        self.client, self.pk = client, pk
        self.read()

    def read(self):
        self.body = self.client.get(f"/api/activities/{self.pk}/").json()["properties"]
        return self

    @property
    def counts(self):
        return self.body["counts_for_compliance"]

    @property
    def note(self):
        return self.body["compliance_note"]

    @property
    def activity(self):
        return Activity.objects.get(pk=self.pk)


def _patrol(client, *, metres, minutes, participants=(), code="ZW-G07"):
    # A fix every 10 m; the walk's pace sets the duration.
    steps = int(metres / 10)
    fixes = walk_along(code, length_m=metres, step_m=10, seconds_per_step=minutes * 60 / steps)
    response = client.post("/api/activities/", activity_body(fixes, participants=[p.id for p in participants]),
                           format="json")
    assert response.status_code == 201, response.json()
    return Patrol(client, response.json()["id"])


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
    patrol = _patrol(api(crew["chief"]), metres=1200, minutes=20)
    assert patrol.counts is False
    assert patrol.note == "陈河长（村级河长）：不计入考核，时长不足 30 分钟（本次 20 分钟），里程不足 2 公里（本次 1.19 公里）"
    assert Activity.objects.filter(pk=patrol.pk).exists()


def test_a_village_chiefs_full_patrol_counts(crew, api):
    patrol = _patrol(api(crew["chief"]), metres=2300, minutes=45)
    assert patrol.counts is True
    assert patrol.note == "陈河长（村级河长）：符合巡河要求，计入考核"


def test_a_district_chief_needs_time_but_no_distance(district_data, api):
    chief = _post_holder(role="chief", level="district", code="ZW-R01", post="district", since=date(2020, 1, 1))
    assert _patrol(api(chief), metres=800, minutes=35, code="ZW-R01").counts is True


def test_a_volunteers_patrol_has_no_chief_rule_to_meet(crew, api):
    patrol = _patrol(api(crew["volunteer"]), metres=500, minutes=10)
    assert patrol.counts is None
    assert "无河长" in patrol.note


def test_a_deputy_who_is_also_a_village_chief_is_measured_by_the_assignment(district_data, api):
    deputy = _post_holder(role="deputy", level="township", code="ZW-G07", post="village", since=date(2026, 1, 1))
    assert _patrol(api(deputy), metres=1000, minutes=40).counts is False


def test_an_assignment_that_ended_before_the_patrol_does_not_apply(district_data, api):
    former = _post_holder(role="deputy", level="township", code="ZW-G07", post="village", since=date(2020, 1, 1),
                          until=date(2025, 12, 31))
    assert _patrol(api(former), metres=1000, minutes=40).counts is None


def test_the_office_edits_a_rule_and_new_patrols_follow_it(crew, api):
    PatrolRule.objects.filter(level="village").update(min_duration_min=15, min_distance_m=1000)
    assert _patrol(api(crew["chief"]), metres=1200, minutes=20).counts is True


@pytest.mark.parametrize("kind", ["cleanup", "sewer_inspection"])
def test_only_patrols_are_measured(crew, api, kind):
    response = api(crew["chief"]).post("/api/activities/", activity_body(kind=kind, point=[110.55, 32.70]), format="json")
    assert response.json()["properties"]["counts_for_compliance"] is None
    assert response.json()["properties"]["compliance_note"] == ""


def test_a_former_chief_whose_post_ended_patrols_as_a_volunteer_would(district_data, api):
    former = _post_holder(role="chief", level="village", code="ZW-G07", post="village", since=date(2020, 1, 1),
                          until=date(2025, 12, 31))
    assert _patrol(api(former), metres=1000, minutes=40).counts is None


def test_each_chief_is_measured_by_their_own_level(crew, api):
    """A district chief and the village chief walk 1 km for 40 minutes: it counts for the district
    chief (no distance minimum) and not for the village chief (2 km)."""
    district_chief = _post_holder(role="chief", level="district", code="ZW-G07", post="district", since=date(2020, 1, 1))
    patrol = _patrol(api(crew["staff"]), metres=1000, minutes=40, participants=[crew["chief"], district_chief])
    assert patrol.counts is True
    verdicts = {chief["level"]: chief["counts"] for chief in patrol.body["compliance"]["chiefs"]}
    assert verdicts == {"district": True, "village": False}
    assert "陈河长（村级河长）：不计入考核" in patrol.note
    assert "（区级河长）：符合巡河要求" in patrol.note


def test_a_chief_patrolling_another_chiefs_gully_is_not_measured(crew, api):
    patrol = _patrol(api(crew["other_chief"]), metres=2500, minutes=45)  # chief of ZW-G01, walking ZW-G07
    assert patrol.body["waterway"] == "ZW-G07"
    assert patrol.counts is None
    assert "不是这条河道的河长" in patrol.note


def test_the_reason_reads_in_the_viewers_language(crew, api):
    patrol = _patrol(api(crew["chief"]), metres=1200, minutes=20)
    english = patrol.client.get(f"/api/activities/{patrol.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()["properties"]
    assert "30 min" in english["compliance_note"]


# --- The verdict follows every change, as the compliance page does ------------------------------

def test_a_rejected_patrol_no_longer_counts_on_its_page_or_in_the_api(crew, api, client):
    chief_client = api(crew["chief"])
    patrol = _patrol(chief_client, metres=2300, minutes=45)
    assert patrol.counts is True
    services.review_activity(activity=patrol.activity, reviewer=crew["staff"].user, decision="reject", note="轨迹不实")
    assert patrol.read().counts is False
    assert "审核已驳回" in patrol.note
    client.force_login(crew["chief"].user)
    page = client.get(reverse("activity-detail", args=[patrol.pk])).content.decode()
    assert "不计入考核" in page and "计入考核</span>" not in page.replace("不计入考核</span>", "")


def test_a_rule_edited_after_the_patrol_applies_to_it_at_once(crew, api):
    patrol = _patrol(api(crew["chief"]), metres=1200, minutes=20)
    assert patrol.counts is False
    PatrolRule.objects.filter(level="village").update(min_duration_min=15, min_distance_m=1000)
    assert patrol.read().counts is True
    PatrolRule.objects.filter(level="village").delete()
    assert patrol.read().counts is None
    assert "尚未设置村级河长的巡河规则" in patrol.note


def test_a_patrol_moved_to_another_waterway_is_judged_on_that_one(crew, api):
    """A re-snap (the network re-cut, a location corrected) moves the patrol: the chief of the old
    gully is no longer measured by it."""
    patrol = _patrol(api(crew["chief"]), metres=2300, minutes=45)
    assert patrol.counts is True
    Activity.objects.filter(pk=patrol.pk).update(waterway=Waterway.objects.get(code="ZW-G01"))
    assert patrol.read().counts is None
    assert "不是这条河道的河长" in patrol.note


def test_the_verdict_matches_the_compliance_page_for_the_same_patrol(crew, api, client):
    patrol = _patrol(api(crew["chief"]), metres=1200, minutes=20)
    day = local_day(patrol.activity.started_at)
    report = chief_compliance(viewer=crew["staff"].user, start=day, end=day, today=day)
    row = next(chief for chief in report["chiefs"] if chief["id"] == crew["chief"].pk)
    listed = next(item for item in row["patrols"] if item["id"] == patrol.pk)
    assert listed["counts"] is patrol.counts is False
    assert all(reason in patrol.note for reason in listed["reasons"])


def test_a_post_that_began_mid_week_is_not_measured_that_week_on_either_page(district_data, api):
    """The week of 27 April – 3 May 2026 is not the new chief's to answer for: their post began on
    Wednesday. A full patrol on Friday does not count for it, here as on /compliance/."""
    newcomer = _post_holder(role="chief", level="village", code="ZW-G07", post="village", since=date(2026, 4, 29))
    patrol = _patrol(api(newcomer), metres=2300, minutes=45)  # Friday 1 May
    assert patrol.counts is False
    assert "任期未覆盖整个周期（任期 2026-04-29 起），该周期不考核" in patrol.note
    staff = make_person(role="staff")
    report = chief_compliance(viewer=staff.user, start=date(2026, 4, 27), end=date(2026, 5, 3), today=date(2026, 5, 4))
    row = next(chief for chief in report["chiefs"] if chief["id"] == newcomer.pk)
    listed = next(item for item in row["patrols"] if item["id"] == patrol.pk)
    assert listed["counts"] is False and listed["reason_codes"] == ["post_partial"]


# --- The rule itself, a pure function --------------------------------------------------------------

def _rule(**values):
    defaults = {"level": "village", "period": "week", "required_count": 1, "min_duration_min": 30,
                "min_distance_m": 2000, "season_start_month": 3, "season_end_month": 12}
    return PatrolRule(**{**defaults, **values})


@pytest.mark.parametrize("figures, counts, codes", [
    (PatrolFigures(date(2026, 5, 4), 30 * 60, 2000.0), True, []),
    (PatrolFigures(date(2026, 5, 4), 30 * 60 - 1, 2000.0), False, ["short_minutes"]),
    (PatrolFigures(date(2026, 5, 4), 3600, 1999.9), False, ["short_distance"]),
    (PatrolFigures(date(2026, 5, 4), 3600, 5000.0, rejected=True), False, ["rejected"]),
    (PatrolFigures(date(2026, 2, 10), 3600, 5000.0), False, ["out_of_season"]),
    # The ISO week of 23 Feb – 1 Mar 2026 has a day in March: in season.
    (PatrolFigures(date(2026, 2, 24), 3600, 5000.0), True, []),
])
def test_judge_patrol_gives_the_verdict_and_each_reason(figures, counts, codes):
    verdict = judge_patrol(figures, "village", _rule())
    assert verdict.counts is counts
    assert [code for code, _params in verdict.reasons] == codes


def test_judge_patrol_without_a_rule_cannot_judge():
    verdict = judge_patrol(PatrolFigures(date(2026, 5, 4), 3600, 5000.0), "village", None)
    assert verdict.counts is None and verdict.reasons[0][0] == "no_rule"
