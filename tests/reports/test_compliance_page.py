"""The 河长巡河考核 page (/compliance/): who may open it, what a behind-schedule chief looks like,
the "只看未达标" filter, the rules with their admin link, the deputies section and empty states."""

import re
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patrols.models import Activity, ServiceRecord
from people.models import ChiefAssignment
from tests.support.clock import beijing
from tests.support.factories import make_person
from waterways.models import Waterway

MAY = {"start": "2025-05-05", "end": "2025-05-18"}  # two whole ISO weeks, long past


def chief(level, code, name):
    person = make_person(role="chief", level=level, name=name)
    ChiefAssignment.objects.create(person=person, waterway=Waterway.objects.get(code=code), level=level,
                                   since=date(2024, 1, 1))
    return person


def patrol(person, code, day, *, minutes=45, metres=2500, kind="patrol"):
    at = beijing(f"{day} 09:00")
    activity = Activity.objects.create(
        client_uuid=uuid.uuid4(), payload_sha256="0" * 64, kind=kind, submitted_by=person.user, started_at=at,
        ended_at=at + timedelta(minutes=minutes), duration_s=minutes * 60, distance_m=metres,
        waterway=Waterway.objects.get(code=code),
    )
    ServiceRecord.objects.create(activity=activity, person=person, role=person.role, level=person.level, hours=1)
    return activity


@pytest.fixture
def people(district_data):
    """A township chief of 堵河 with two village chiefs on its gullies: one patrolled every week,
    one walked 20 minutes in the first week and not at all in the second."""
    behind = chief("village", "ZW-G07", "狮子沟落后村长")
    short = patrol(behind, "ZW-G07", "2025-05-06", minutes=20)
    on_time = chief("village", "ZW-G01", "斤坪沟按时村长")
    patrol(on_time, "ZW-G01", "2025-05-06")
    patrol(on_time, "ZW-G01", "2025-05-13")
    return {
        "behind": behind, "short": short, "on_time": on_time,
        "township": chief("township", "ZW-R01", "堵河乡镇河长"),
        "staff": make_person(role="staff", name="河长办小刘"),
        "volunteer": make_person(name="张志愿"),
    }


def client_for(client, person):
    client.force_login(person.user)
    return client


def chief_rows(html):
    """Names of the chiefs listed in the table, in order."""
    return re.findall(r'<tbody class="chief-group" data-chief="\d+">\s*<tr[^>]*>\s*<td[^>]*><a [^>]*>([^<]+)</a>', html)


def test_anonymous_visitors_are_sent_to_the_login_page(client, district_data):
    response = client.get(reverse("compliance"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_volunteer_may_not_open_the_page(client, people):
    assert client_for(client, people["volunteer"]).get(reverse("compliance")).status_code == 403


def test_staff_see_the_behind_chief_with_missing_count_and_reason(client, people):
    response = client_for(client, people["staff"]).get(reverse("compliance"), MAY)
    assert response.status_code == 200
    html = response.content.decode()
    assert chief_rows(html) == ["狮子沟落后村长"]  # only those behind, by default
    assert "未达标，缺 2 次" in html
    assert "时长不足 30 分钟（本次 20 分钟）" in html
    assert reverse("activity-detail", args=[people["short"].pk]) in html
    assert "河长巡河考核" in html and "2025-05-05 至 2025-05-18" in html


def test_everyone_is_listed_when_the_filter_is_off(client, people):
    html = client_for(client, people["staff"]).get(reverse("compliance"), {**MAY, "behind": "0"}).content.decode()
    assert chief_rows(html) == ["狮子沟落后村长", "堵河乡镇河长", "斤坪沟按时村长"]
    assert "达标" in html


def test_a_township_chief_sees_the_chiefs_under_them_without_the_rule_admin_link(client, people):
    response = client_for(client, people["township"]).get(reverse("compliance"), {**MAY, "behind": "0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert set(chief_rows(html)) == {"狮子沟落后村长", "斤坪沟按时村长", "堵河乡镇河长"}
    assert "村级河长" in html and "每周至少 1 次" in html  # the rules in force are shown to everyone
    assert reverse("admin:patrols_patrolrule_changelist") not in html
    # The gully patrol is listed and linked: the township chief oversees the gully's chief, and may
    # open what is counted in the row (the same rule as the activity pages).
    assert "2025-05-06 09:00" in html
    assert reverse("activity-detail", args=[people["short"].pk]) in html
    assert client.get(reverse("activity-detail", args=[people["short"].pk])).status_code == 200


def test_a_village_chief_sees_only_their_own_row(client, people):
    html = client_for(client, people["on_time"]).get(reverse("compliance"), {**MAY, "behind": "0"}).content.decode()
    assert chief_rows(html) == ["斤坪沟按时村长"]


def test_admin_staff_get_a_link_to_edit_the_rules(client, people, django_user_model):
    admin = django_user_model.objects.create_superuser(username="office-admin", password="pw-12345")
    client.force_login(admin)
    html = client.get(reverse("compliance"), MAY).content.decode()
    assert reverse("admin:patrols_patrolrule_changelist") in html
    # and the admin really lets them edit a rule
    response = client.get(reverse("admin:patrols_patrolrule_changelist"))
    assert response.status_code == 200 and 'name="form-0-required_count"' in response.content.decode()


def test_nobody_behind_and_no_chiefs_have_their_own_messages(client, people):
    staff = client_for(client, people["staff"])
    html = staff.get(reverse("compliance"), {"start": "2025-01-06", "end": "2025-01-12"}).content.decode()
    assert "统计期内没有未达标的河长" in html  # January is out of season for village and township chiefs
    ChiefAssignment.objects.all().delete()
    html = staff.get(reverse("compliance"), MAY).content.decode()
    assert "统计期内没有可查看的河长任命" in html


def test_a_wrong_date_is_explained_and_the_page_still_shows(client, people):
    response = client_for(client, people["staff"]).get(reverse("compliance"), {"start": "2025-02-30"})
    assert response.status_code == 200
    assert "日期格式应为 YYYY-MM-DD" in response.content.decode()


def test_the_deputies_section_shows_our_rate_beside_the_districts_and_who_to_remind(client, people):
    active = make_person(role="deputy", level="district", name="积极代表", phone="13900000011")
    patrol(active, "ZW-G07", "2025-03-02", kind="cleanup")
    make_person(role="deputy", level="township", name="沉默代表", phone="13900000012")
    html = client_for(client, people["staff"]).get(
        reverse("compliance"), {"start": "2025-01-01", "end": "2025-12-31", "as_of": "2025-06-30"}).content.decode()
    assert "人大代表参与情况（2025 年）" in html
    assert "50.0%" in html and "98%" in html and "区里报告" in html
    remind = html[html.index("需要提醒"):]
    assert remind.index("沉默代表") < remind.index("积极代表")  # never took part, then the longest silence
    assert "从未参加" in remind and "120 天" in remind  # 2 March to 30 June
    assert "13900000012" in remind


def test_a_chief_sees_the_reminder_list_without_phones(client, people):
    make_person(role="deputy", level="township", name="沉默代表", phone="13900000012")
    html = client_for(client, people["township"]).get(reverse("compliance"), MAY).content.decode()
    assert "沉默代表" in html and "13900000012" not in html


def test_the_page_runs_the_same_number_of_queries_for_more_chiefs(client, people):
    """Posts, patrols and service records are fetched once for all chiefs, not once per chief."""
    staff = client_for(client, people["staff"])
    query = {**MAY, "behind": "0"}
    with CaptureQueriesContext(connection) as few:
        staff.get(reverse("compliance"), query)
    for number, code in enumerate(["ZW-G02", "ZW-G03", "ZW-G04", "ZW-G16"]):
        more = chief("village", code, f"新村长{number}")
        patrol(more, code, "2025-05-07", minutes=10)
    with CaptureQueriesContext(connection) as many:
        html = staff.get(reverse("compliance"), query).content.decode()
    assert len(chief_rows(html)) == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_whoever_sees_a_row_may_open_its_patrols_and_nothing_else_is_listed(client, people, api):
    """The 堵河 township chief oversees the 狮子沟 village chief, and reads the patrols on the gully,
    a rejected one with its note. The village chief's walk on the 神定河 (another river system, outside
    the township chief's waters) is listed for the chief and for staff, but not for the township
    chief, who could not open it."""
    rejected = patrol(people["behind"], "ZW-G07", "2025-05-13")
    Activity.objects.filter(pk=rejected.pk).update(
        status=Activity.Status.REJECTED, review_note="轨迹是开车录的", reviewed_by=people["staff"].user,
        reviewed_at=rejected.started_at + timedelta(days=1))
    elsewhere = patrol(people["behind"], "ZW-R03", "2025-05-14")

    def listed(viewer):
        body = api(viewer).get("/api/compliance/chiefs/", MAY).json()
        return {p["id"]: p for chief in body["chiefs"] if chief["id"] == people["behind"].pk for p in chief["patrols"]}

    township = client_for(client, people["township"]).get(reverse("compliance"), MAY).content.decode()
    assert "审核已驳回（轨迹是开车录的）" in township
    assert reverse("activity-detail", args=[rejected.pk]) in township
    assert reverse("activity-detail", args=[elsewhere.pk]) not in township and "2025-05-14 09:00" not in township
    assert set(listed(people["township"])) == {people["short"].pk, rejected.pk}
    for patrol_id in listed(people["township"]):  # every one listed opens
        assert client.get(reverse("activity-detail", args=[patrol_id])).status_code == 200
    assert client.get(reverse("activity-detail", args=[elsewhere.pk])).status_code == 404

    for viewer in (people["staff"], people["behind"]):
        shown = listed(viewer)
        assert set(shown) == {people["short"].pk, rejected.pk, elsewhere.pk}
        assert shown[elsewhere.pk]["reasons"] == ["不是本人任河长的河道"]
        assert shown[rejected.pk]["reasons"] == ["审核已驳回（轨迹是开车录的）"]
