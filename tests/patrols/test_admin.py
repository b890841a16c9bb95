"""Admin pages for activities: staff look, review, and tune the patrol rules."""

import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from patrols import services, submissions
from patrols.models import Activity, PatrolRule, ReachVisit, ServiceRecord
from people.models import Person
from waterways.models import Reach


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


def volunteer_login(username="field-volunteer", name="张志愿"):
    user = get_user_model().objects.create_user(username=username, password="pw-12345")
    Person.objects.create(name=name, role="volunteer", user=user)
    return user


def record(user, *, kind="cleanup", notes=""):
    started = timezone.now() - timedelta(hours=3)
    activity, _created = services.record_activity(
        submitted_by=user,
        submission=submissions.build(
            client_uuid=uuid.uuid4(), kind=kind, started_at=started, ended_at=started + timedelta(hours=1),
            point=[110.55, 32.70], location_source="gps", notes=notes,
        ),
        payload_sha256="x",
    )
    return activity


@pytest.fixture
def activity(district_data):
    return record(volunteer_login(), notes="清理河滩塑料袋")


def activity_form(activity, **values):
    """What the activity page posts: the review fields and the read-only inline rows as a browser sends them."""
    form = {}
    for prefix, rows in (("service_records", activity.service_records.all()), ("photos", activity.photos.all())):
        form.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows)})
        for index, row in enumerate(rows):
            form.update({f"{prefix}-{index}-id": row.pk, f"{prefix}-{index}-activity": activity.pk})
    form.update(values)
    return form


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 140, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_activity_list_shows_activities_with_participants(admin_client_logged_in, activity):
    page = admin_client_logged_in.get(reverse("admin:patrols_activity_changelist"))
    assert page.status_code == 200
    row = page.context["cl"].result_list[0]
    assert row == activity and row.participant_count == 1
    assert "清漂保洁" in page.content.decode()

    by_notes = admin_client_logged_in.get(reverse("admin:patrols_activity_changelist"), {"q": "塑料袋"})
    assert list(by_notes.context["cl"].result_list) == [activity]
    by_uuid = admin_client_logged_in.get(reverse("admin:patrols_activity_changelist"), {"q": str(activity.client_uuid)[:8]})
    assert list(by_uuid.context["cl"].result_list) == [activity]
    filtered = admin_client_logged_in.get(reverse("admin:patrols_activity_changelist"), {"status__exact": "verified"})
    assert filtered.context["cl"].result_count == 0


def test_activity_page_shows_the_map_participants_and_photo_thumbnails(admin_client_logged_in, activity):
    photo, _created, _used = services.add_photo(activity=activity, uploaded_by=activity.submitted_by, data=jpeg())
    page = admin_client_logged_in.get(reverse("admin:patrols_activity_change", args=[activity.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "leaflet" in html.lower() and "&quot;Point&quot;" in html  # the location drawn on a Leaflet map
    assert ".modifiable = false" in html  # a map to look at, not to draw on
    assert "张志愿" in html  # the service record inline
    # The thumbnail preview, through the permission-checked view, never a public /media/ path.
    thumbnail_url = f"/activities/{activity.pk}/photos/{photo.pk}/thumb/"
    assert thumbnail_url in html and "/media/" not in html
    assert admin_client_logged_in.get(thumbnail_url)["Content-Type"] == "image/jpeg"
    assert "cdn." not in html and "unpkg" not in html


def test_verify_action_verifies_a_submitted_activity(admin_client_logged_in, admin_user, activity):
    response = admin_client_logged_in.post(
        reverse("admin:patrols_activity_changelist"),
        {"action": "verify_selected", "_selected_action": [activity.pk]}, follow=True,
    )
    assert response.status_code == 200
    activity.refresh_from_db()
    assert activity.status == Activity.Status.VERIFIED
    assert activity.reviewed_by == admin_user
    assert "已通过 1 条活动" in response.content.decode()
    page = admin_client_logged_in.get(reverse("admin:patrols_activity_change", args=[activity.pk])).content.decode()
    assert 'name="decision"' not in page  # reviewed once, not again


def test_verify_action_refuses_the_reviewers_own_activity(client, activity):
    own_user = volunteer_login(username="staff-volunteer", name="王员工")
    own_user.is_staff = own_user.is_superuser = True
    own_user.save()
    own = record(own_user)
    client.force_login(own_user)

    response = client.post(
        reverse("admin:patrols_activity_changelist"),
        {"action": "verify_selected", "_selected_action": [own.pk, activity.pk]}, follow=True,
    )
    own.refresh_from_db()
    activity.refresh_from_db()
    assert own.status == Activity.Status.SUBMITTED and own.reviewed_by is None
    assert activity.status == Activity.Status.VERIFIED  # the others in the selection still go through
    html = response.content.decode()
    assert "1 条未通过" in html and "不能审核自己提交或参加的活动" in html


def test_reject_on_the_activity_page_needs_a_reason(admin_client_logged_in, admin_user, activity):
    url = reverse("admin:patrols_activity_change", args=[activity.pk])

    without_reason = admin_client_logged_in.post(url, activity_form(activity, decision="reject", review_reason=" "))
    assert without_reason.status_code == 200 and "驳回时请写明原因" in without_reason.content.decode()
    activity.refresh_from_db()
    assert activity.status == Activity.Status.SUBMITTED

    with_reason = admin_client_logged_in.post(url, activity_form(activity, decision="reject", review_reason="照片与地点不符"))
    assert with_reason.status_code == 302
    activity.refresh_from_db()
    assert (activity.status, activity.review_note, activity.reviewed_by) == (
        Activity.Status.REJECTED, "照片与地点不符", admin_user)


def test_saving_the_activity_page_changes_nothing_but_the_review(admin_client_logged_in, activity):
    services.add_photo(activity=activity, uploaded_by=activity.submitted_by, data=jpeg())
    before = Activity.objects.filter(pk=activity.pk).values().get()
    response = admin_client_logged_in.post(
        reverse("admin:patrols_activity_change", args=[activity.pk]),
        activity_form(activity, decision="", notes="改掉", kind="patrol",
                      point_map='{"type": "Point", "coordinates": [111.0, 33.0]}'),
    )
    assert response.status_code == 302
    assert Activity.objects.filter(pk=activity.pk).values().get() == before


def test_activities_cannot_be_added_or_deleted_in_the_admin(admin_client_logged_in, activity):
    assert admin_client_logged_in.get(reverse("admin:patrols_activity_add")).status_code == 403
    assert admin_client_logged_in.get(reverse("admin:patrols_activity_delete", args=[activity.pk])).status_code == 403


def rule_form(rule, **changes):
    form = {field: getattr(rule, field) for field in (
        "level", "min_duration_min", "min_distance_m", "required_count", "period", "season_start_month",
        "season_end_month", "source")}
    form.update(changes)
    return form


def test_patrol_rule_edit_saves_and_bad_months_are_refused(admin_client_logged_in, district_data):
    rule = PatrolRule.objects.get(level="township")
    url = reverse("admin:patrols_patrolrule_change", args=[rule.pk])
    assert admin_client_logged_in.get(url).status_code == 200

    saved = admin_client_logged_in.post(url, rule_form(rule, min_duration_min=45, period="week", source="湖北省河长办 2026"))
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.min_duration_min, rule.period, rule.source) == (45, "week", "湖北省河长办 2026")

    refused = admin_client_logged_in.post(url, rule_form(rule, season_end_month=13))
    assert refused.status_code == 200
    rule.refresh_from_db()
    assert rule.season_end_month != 13


def test_patrol_rules_are_edited_in_the_list(admin_client_logged_in, district_data):
    rules = list(PatrolRule.objects.order_by("level"))
    form = {"form-TOTAL_FORMS": str(len(rules)), "form-INITIAL_FORMS": str(len(rules)), "_save": "保存"}
    for index, rule in enumerate(rules):
        values = rule_form(rule, required_count=rule.required_count + (2 if rule.level == "village" else 0))
        values.pop("level")
        form.update({f"form-{index}-{key}": value for key, value in values.items()})
        form[f"form-{index}-id"] = rule.pk
    response = admin_client_logged_in.post(reverse("admin:patrols_patrolrule_changelist"), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert PatrolRule.objects.get(level="village").required_count == next(
        r.required_count for r in rules if r.level == "village") + 2


def test_service_records_list_filters_by_role_and_finds_people(admin_client_logged_in, activity):
    url = reverse("admin:patrols_servicerecord_changelist")
    page = admin_client_logged_in.get(url)
    assert page.status_code == 200 and "同一人同一活动只计一次" in page.content.decode()  # the definition
    assert admin_client_logged_in.get(url, {"q": "张志愿"}).context["cl"].result_count == 1
    assert admin_client_logged_in.get(url, {"role__exact": "volunteer"}).context["cl"].result_count == 1
    assert admin_client_logged_in.get(url, {"role__exact": "chief"}).context["cl"].result_count == 0
    record_page = admin_client_logged_in.get(
        reverse("admin:patrols_servicerecord_change", args=[ServiceRecord.objects.get().pk]))
    assert record_page.status_code == 200 and 'name="_save"' not in record_page.content.decode()  # view only


def test_reach_visits_are_listed_read_only(admin_client_logged_in, activity):
    reach = Reach.objects.filter(waterway__code="ZW-G07").first()
    visit = ReachVisit.objects.create(reach=reach, activity=activity, visited_at=activity.started_at, covered_fraction=0.8)
    page = admin_client_logged_in.get(reverse("admin:patrols_reachvisit_changelist"))
    assert page.status_code == 200 and "80%" in page.content.decode()
    detail = admin_client_logged_in.get(reverse("admin:patrols_reachvisit_change", args=[visit.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client_logged_in.get(reverse("admin:patrols_reachvisit_add")).status_code == 403
