"""Staff correcting a settled record: overturning a verification (撤销审核并驳回) and removing a
participant (移除参与人员), through the API and the activity page; the signals later apps (points)
reverse credits on; and what a removal leaves behind (the trail, the counts, the anonymisation)."""

import json
import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from patrols import privacy
from patrols.models import Activity, ServiceRecord
from patrols.signals import activity_reviewed, participant_removed
from people import services as people_services
from tests.support.clock import FROZEN_NOW
from tests.support.factories import activity_body
from tests.support.walks import walk_along


@pytest.fixture
def patrol(crew, api):
    """The volunteer's hour-long patrol on 狮子沟 (ZW-G07) on 1 May 2026, with the teammate: submitted."""
    body = activity_body(walk_along(length_m=800), participants=[crew["teammate"].id])
    response = api(crew["volunteer"]).post("/api/activities/", body, format="json")
    assert response.status_code == 201, response.json()
    return Activity.objects.get(pk=response.json()["id"])


@pytest.fixture
def verified(crew, api, patrol):
    """The patrol, verified by the team's leader."""
    response = api(crew["leader"]).post(f"/api/activities/{patrol.pk}/review/", {"decision": "verify"}, format="json")
    assert response.status_code == 200, response.json()
    patrol.refresh_from_db()
    return patrol


class Listener:
    """Collects what a signal sends (every keyword but the signal itself), for the length of a with block."""

    def __init__(self, signal):
        self.signal, self.heard = signal, []

    def __enter__(self):
        self.signal.connect(self, weak=False, dispatch_uid="test-overturn-and-removal")
        return self

    def __exit__(self, *exc):
        self.signal.disconnect(dispatch_uid="test-overturn-and-removal")

    def __call__(self, sender, signal, **kwargs):
        self.heard.append(kwargs)


def overturn(client, activity, body):
    return client.post(f"/api/activities/{activity.pk}/overturn/", body, format="json")


def remove(client, activity, person, body):
    return client.post(f"/api/activities/{activity.pk}/participants/{person.pk}/remove/", body, format="json")


def service_records_in_2026(client):
    return client.get("/api/stats/service-records/?year=2026").json()["total"]


def near_now(moment):
    return abs(moment - FROZEN_NOW) < timedelta(minutes=1)


# --- Overturning a verification --------------------------------------------------------------------------

def test_staff_overturn_a_verification_into_a_rejection(crew, api, verified):
    response = overturn(api(crew["staff"]), verified, {"note": "  轨迹是开车经过的  "})
    assert response.status_code == 200, response.json()
    assert response.json()["properties"]["status"] == "rejected"
    verified.refresh_from_db()
    assert verified.status == Activity.Status.REJECTED
    assert verified.reviewed_by == crew["staff"].user  # no longer the leader who verified it
    assert near_now(verified.reviewed_at)
    assert verified.review_note == "轨迹是开车经过的"


def test_an_overturn_no_longer_counts_toward_the_target(crew, api, verified):
    staff = api(crew["staff"])
    assert service_records_in_2026(staff) == 2  # the volunteer and the teammate
    overturn(staff, verified, {"note": "重复登记"})
    assert service_records_in_2026(staff) == 0


def test_an_overturn_is_announced_once_and_only_after_commit(crew, api, verified, django_capture_on_commit_callbacks):
    with Listener(activity_reviewed) as listener:
        with django_capture_on_commit_callbacks() as callbacks:
            overturn(api(crew["staff"]), verified, {"note": "轨迹是开车经过的"})
        assert listener.heard == []  # nothing before the commit
        for callback in callbacks:
            callback()
    assert len(listener.heard) == 1
    heard = listener.heard[0]
    assert heard["activity"].pk == verified.pk
    assert (heard["decision"], heard["previous_status"]) == ("reject", "verified")
    assert set(heard) == {"activity", "decision", "previous_status"}


def test_a_normal_review_says_it_came_from_submitted(crew, api, patrol, django_capture_on_commit_callbacks):
    with Listener(activity_reviewed) as listener, django_capture_on_commit_callbacks(execute=True):
        api(crew["leader"]).post(f"/api/activities/{patrol.pk}/review/", {"decision": "verify"}, format="json")
    assert [(h["activity"].pk, h["decision"], h["previous_status"]) for h in listener.heard] == [
        (patrol.pk, "verify", "submitted")]


@pytest.mark.parametrize("who", ["leader", "chief", "volunteer"])
def test_only_staff_overturn(crew, api, verified, who, django_capture_on_commit_callbacks):
    with Listener(activity_reviewed) as listener, django_capture_on_commit_callbacks(execute=True):
        response = overturn(api(crew[who]), verified, {"note": "我觉得不对"})
    assert response.status_code == 403
    assert "工作人员" in response.json()["detail"]
    verified.refresh_from_db()
    assert verified.status == Activity.Status.VERIFIED and verified.reviewed_by == crew["leader"].user
    assert listener.heard == []


def test_someone_who_cannot_read_it_is_told_it_is_not_there(crew, api, verified):
    assert overturn(api(crew["outsider"]), verified, {"note": "我觉得不对"}).status_code == 404


def test_a_submitted_activity_cannot_be_overturned(crew, api, patrol):
    response = overturn(api(crew["staff"]), patrol, {"note": "还没审核"})
    assert response.status_code == 409
    assert "待审核" in response.json()["detail"]
    patrol.refresh_from_db()
    assert patrol.status == Activity.Status.SUBMITTED and patrol.reviewed_by is None


def test_a_rejected_activity_cannot_be_overturned_again(crew, api, verified):
    staff = api(crew["staff"])
    assert overturn(staff, verified, {"note": "第一次"}).status_code == 200
    again = overturn(staff, verified, {"note": "第二次"})
    assert again.status_code == 409
    assert "已驳回" in again.json()["detail"]
    verified.refresh_from_db()
    assert verified.review_note == "第一次"


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   "}, {"note": None}])
def test_an_overturn_needs_a_reason(crew, api, verified, body):
    response = overturn(api(crew["staff"]), verified, body)
    assert response.status_code == 400
    assert "原因" in response.json()["detail"]
    verified.refresh_from_db()
    assert verified.status == Activity.Status.VERIFIED


# --- Removing a participant -------------------------------------------------------------------------------

def test_staff_remove_a_participant_and_the_activity_keeps_the_trail(crew, api, verified):
    staff = api(crew["staff"])
    record = ServiceRecord.objects.get(activity=verified, person=crew["teammate"])
    assert service_records_in_2026(staff) == 2
    response = remove(staff, verified, crew["teammate"], {"reason": "当天在外地，并未参加"})
    assert response.status_code == 200, response.json()
    assert [p["name"] for p in response.json()["properties"]["participants"]] == ["张志愿"]
    assert not ServiceRecord.objects.filter(pk=record.pk).exists()
    assert service_records_in_2026(staff) == 1
    verified.refresh_from_db()
    assert verified.status == Activity.Status.VERIFIED  # the others' service stands
    [entry] = verified.removed_participants
    assert {key: entry[key] for key in ("person", "name", "hours", "by", "reason")} == {
        "person": crew["teammate"].pk, "name": "李同伴", "hours": "1.0", "by": crew["staff"].user.pk,
        "reason": "当天在外地，并未参加",
    }
    assert near_now(datetime.fromisoformat(entry["at"]))
    assert response.json()["properties"]["removed_participants"] == verified.removed_participants


def test_a_removal_is_announced_once_and_only_after_commit(crew, api, verified, django_capture_on_commit_callbacks):
    record_id = ServiceRecord.objects.get(activity=verified, person=crew["teammate"]).pk
    with Listener(participant_removed) as listener:
        with django_capture_on_commit_callbacks() as callbacks:
            remove(api(crew["staff"]), verified, crew["teammate"], {"reason": "并未参加"})
        assert listener.heard == []
        for callback in callbacks:
            callback()
    assert len(listener.heard) == 1
    heard = listener.heard[0]
    assert set(heard) == {"activity", "person", "service_record_id", "by", "reason"}
    assert (heard["activity"].pk, heard["person"], heard["service_record_id"], heard["by"], heard["reason"]) == (
        verified.pk, crew["teammate"], record_id, crew["staff"].user, "并未参加")


@pytest.mark.parametrize("who", ["leader", "chief", "volunteer"])
def test_only_staff_remove(crew, api, verified, who, django_capture_on_commit_callbacks):
    with Listener(participant_removed) as listener, django_capture_on_commit_callbacks(execute=True):
        response = remove(api(crew[who]), verified, crew["teammate"], {"reason": "并未参加"})
    assert response.status_code == 403
    assert "工作人员" in response.json()["detail"]
    assert ServiceRecord.objects.filter(activity=verified, person=crew["teammate"]).exists()
    verified.refresh_from_db()
    assert verified.removed_participants == [] and listener.heard == []


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": " \n "}, {"reason": None}])
def test_a_removal_needs_a_reason(crew, api, verified, body):
    response = remove(api(crew["staff"]), verified, crew["teammate"], body)
    assert response.status_code == 400
    assert "原因" in response.json()["detail"]
    assert ServiceRecord.objects.filter(activity=verified, person=crew["teammate"]).count() == 1


def test_someone_without_a_service_record_cannot_be_removed(crew, api, verified):
    staff = api(crew["staff"])
    outsider = remove(staff, verified, crew["outsider"], {"reason": "并未参加"})
    assert outsider.status_code == 404
    assert "赵路人" in outsider.json()["detail"]
    assert remove(staff, verified, crew["teammate"], {"reason": "并未参加"}).status_code == 200
    again = remove(staff, verified, crew["teammate"], {"reason": "再移除一次"})
    assert again.status_code == 404 and "已被移除" in again.json()["detail"]
    assert staff.post(f"/api/activities/{verified.pk}/participants/999999/remove/", {"reason": "x"},
                      format="json").status_code == 404
    verified.refresh_from_db()
    assert len(verified.removed_participants) == 1


def test_removing_everyone_leaves_an_activity_that_still_shows(crew, api, client, patrol):
    staff = api(crew["staff"])
    for person in (crew["volunteer"], crew["teammate"]):
        assert remove(staff, patrol, person, {"reason": "并未参加"}).status_code == 200
    assert not ServiceRecord.objects.filter(activity=patrol).exists()
    assert service_records_in_2026(staff) == 0
    # The submitter still reads it; the page and the lists still show it.
    volunteer = api(crew["volunteer"])
    assert volunteer.get(f"/api/activities/{patrol.pk}/").json()["properties"]["participants"] == []
    assert patrol.pk in {f["id"] for f in volunteer.get("/api/activities/").json()["features"]}
    client.force_login(crew["volunteer"].user)
    assert client.get(reverse("activity-detail", args=[patrol.pk])).status_code == 200
    assert client.get(reverse("activity-list")).status_code == 200


def test_a_chief_removed_from_a_patrol_is_no_longer_judged_on_it(crew, api):
    chief = crew["chief"]
    response = api(chief).post("/api/activities/", activity_body(walk_along(length_m=1500)), format="json")
    activity = Activity.objects.get(pk=response.json()["id"])
    assert [c["name"] for c in response.json()["properties"]["compliance"]["chiefs"]] == ["陈河长"]
    after = remove(api(crew["staff"]), activity, chief, {"reason": "代他人登记"}).json()["properties"]
    assert after["compliance"] == {"counts": None, "reason": "no_chief", "chiefs": []}
    page = api(crew["staff"]).get("/api/compliance/chiefs/?behind=0&start=2026-05-01&end=2026-05-31")
    assert page.status_code == 200


def test_a_removed_person_finds_the_removal_in_their_export_and_it_is_unnamed_when_they_leave(
        crew, api, verified, admin_user):
    teammate = crew["teammate"]
    remove(api(crew["staff"]), verified, teammate, {"reason": "李同伴当天在外地"})
    data = privacy.personal_data(teammate)
    assert verified.pk not in {activity["id"] for activity in data["activities"]}  # no longer theirs
    assert [(r["activity"], r["hours"], r["reason"]) for r in data["removed_from_activities"]] == [
        (verified.pk, "1.0", "李同伴当天在外地")]

    people_services.anonymise_person(person=teammate, by=admin_user)
    verified.refresh_from_db()
    [entry] = verified.removed_participants
    label = f"已注销人员 #{teammate.pk}"
    assert (entry["name"], entry["reason"]) == (label, f"{label}当天在外地")


# --- The activity page ------------------------------------------------------------------------------------

def page_of(client, person, activity):
    client.force_login(person.user)
    response = client.get(reverse("activity-detail", args=[activity.pk]))
    assert response.status_code == 200
    return response.content.decode()


OVERTURN_FORM = 'class="review-form overturn-form"'


def remove_forms(page):
    return set(re.findall(r'action="/activities/\d+/participants/(\d+)/remove/"', page))


def test_staff_see_the_forms_on_a_verified_activity(client, crew, verified):
    page = page_of(client, crew["staff"], verified)
    assert OVERTURN_FORM in page and "撤销审核并驳回" in page
    assert remove_forms(page) == {str(crew["volunteer"].pk), str(crew["teammate"].pk)}


def test_staff_may_remove_but_not_overturn_before_a_review(client, crew, patrol):
    page = page_of(client, crew["staff"], patrol)
    assert OVERTURN_FORM not in page
    assert len(remove_forms(page)) == 2


@pytest.mark.parametrize("who", ["leader", "chief", "volunteer", "teammate"])
def test_nobody_else_sees_the_forms(client, crew, verified, who):
    page = page_of(client, crew[who], verified)
    assert OVERTURN_FORM not in page and "撤销审核并驳回" not in page
    assert remove_forms(page) == set()


def test_staff_overturn_from_the_page(client, crew, verified):
    client.force_login(crew["staff"].user)
    url = reverse("activity-overturn", args=[verified.pk])
    response = client.post(url, {"note": "照片与本次活动无关"}, follow=True)
    assert response.redirect_chain == [(reverse("activity-detail", args=[verified.pk]), 302)]
    page = response.content.decode()
    assert "已撤销审核" in page and "照片与本次活动无关" in page
    verified.refresh_from_db()
    assert verified.status == Activity.Status.REJECTED


def test_the_page_refuses_a_blank_reason_with_a_message(client, crew, verified):
    client.force_login(crew["staff"].user)
    blank = client.post(reverse("activity-overturn", args=[verified.pk]), {"note": "  "})
    assert blank.status_code == 400 and "撤销审核时请写明原因" in blank.content.decode()
    verified.refresh_from_db()
    assert verified.status == Activity.Status.VERIFIED
    no_reason = client.post(reverse("activity-participant-remove", args=[verified.pk, crew["teammate"].pk]), {})
    assert no_reason.status_code == 400 and "移除参与人员时请写明原因" in no_reason.content.decode()
    assert ServiceRecord.objects.filter(activity=verified).count() == 2


def test_a_submitted_activity_is_refused_on_the_page_too(client, crew, patrol):
    client.force_login(crew["staff"].user)
    response = client.post(reverse("activity-overturn", args=[patrol.pk]), {"note": "还没审核"})
    assert response.status_code == 409 and "只有已审核通过的记录可以撤销审核" in response.content.decode()


@pytest.mark.parametrize("who", ["leader", "chief"])
def test_the_page_refuses_others(client, crew, verified, who):
    client.force_login(crew[who].user)
    assert client.post(reverse("activity-overturn", args=[verified.pk]), {"note": "不对"}).status_code == 403
    remove_url = reverse("activity-participant-remove", args=[verified.pk, crew["teammate"].pk])
    assert client.post(remove_url, {"reason": "不对"}).status_code == 403
    verified.refresh_from_db()
    assert verified.status == Activity.Status.VERIFIED and ServiceRecord.objects.filter(activity=verified).count() == 2


def test_a_removal_from_the_page_shows_staff_who_was_removed_by_whom_when_and_why(client, crew, verified):
    client.force_login(crew["staff"].user)
    url = reverse("activity-participant-remove", args=[verified.pk, crew["teammate"].pk])
    response = client.post(url, {"reason": "当天在外地<script>x</script>"}, follow=True)
    assert response.redirect_chain == [(reverse("activity-detail", args=[verified.pk]), 302)]
    assert not ServiceRecord.objects.filter(activity=verified, person=crew["teammate"]).exists()
    page = page_of(client, crew["staff"], verified)
    removed = re.search(r'<li class="removed-participant">(.*?)</li>', page, re.S)
    assert removed, page
    line = " ".join(removed.group(1).split())
    assert "李同伴" in line and "河长办小刘" in line
    assert FROZEN_NOW.strftime("%Y-%m-%d") in line
    assert "当天在外地&lt;script&gt;" in line and "<script>x" not in page
    assert str(crew["teammate"].pk) not in remove_forms(page)
    features = page_features(page)
    assert [p["name"] for p in features["properties"]["participants"]] == ["张志愿"]
    assert [p["name"] for p in features["properties"]["removed_participants"]] == ["李同伴"]


def page_features(page):
    return json.loads(re.search(r'<script id="activity-features" type="application/json">(.*?)</script>',
                                page, re.S).group(1))


def test_only_staff_and_the_removed_person_read_a_removal(client, crew, api, verified):
    """Why someone was removed is about them: staff read every removal, the removed person their own
    (the submitter still reads the activity once removed from it), the others who read the activity
    none, not even that there was one: in the API's activity and list, and on the page."""
    staff = api(crew["staff"])
    assert remove(staff, verified, crew["volunteer"], {"reason": "张志愿只是代人登记"}).status_code == 200
    assert remove(staff, verified, crew["teammate"], {"reason": "李同伴当天在外地"}).status_code == 200

    def seen_by(name):
        reader = api(crew[name])
        one = reader.get(f"/api/activities/{verified.pk}/").json()["properties"]["removed_participants"]
        listed = {f["id"]: f for f in reader.get("/api/activities/").json()["features"]}
        assert listed[verified.pk]["properties"]["removed_participants"] == one, name
        page = page_of(client, crew[name], verified)
        assert page_features(page)["properties"]["removed_participants"] == one, name
        return [(entry["name"], entry["reason"]) for entry in one], page

    removals, page = seen_by("staff")
    assert removals == [("张志愿", "张志愿只是代人登记"), ("李同伴", "李同伴当天在外地")]
    assert "张志愿只是代人登记" in page and "李同伴当天在外地" in page

    removals, page = seen_by("volunteer")
    assert removals == [("张志愿", "张志愿只是代人登记")]
    assert "张志愿只是代人登记" in page and "李同伴当天在外地" not in page

    removals, page = seen_by("leader")
    assert removals == []
    assert "代人登记" not in page and "当天在外地" not in page and "已由工作人员移除" not in page
