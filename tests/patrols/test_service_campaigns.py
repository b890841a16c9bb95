"""Service-target campaigns (服务记录目标) are data the office edits in the admin. While one runs, the
header and the phone count toward it; between campaigns they show the last one's result and this
year's count; with none set they say so."""

from datetime import date, datetime, time

import pytest
from django.test import Client
from django.urls import reverse

from patrols.models import ServiceCampaign
from tests.support.clock import DISTRICT_TZ
from tests.support.factories import activity_body
from tests.support.walks import walk_along


def _at(day, hour=10):
    return datetime.combine(day, time(hour), tzinfo=DISTRICT_TZ)


def _patrol_on(api, crew, day):
    started = _at(day, 8)
    body = activity_body(walk_along(length_m=300, start_ms=int(started.timestamp() * 1000)),
                         started_at=started.isoformat(), ended_at=_at(day, 9).isoformat(),
                         participants=[crew["teammate"].pk])
    assert api(crew["volunteer"]).post("/api/activities/", body, format="json").status_code == 201


def _header(client):
    page = client.get(reverse("activity-list")).content.decode()
    start = page.index('<div class="target-counter')
    return page[start:page.index("</details>", start)]


def test_the_district_s_first_campaign_is_there_from_the_start(db):
    campaign = ServiceCampaign.objects.get()
    assert (campaign.target, campaign.start, campaign.end) == (3200, date(2025, 1, 1), date(2026, 12, 31))


def test_after_the_campaign_ends_the_header_and_the_phone_show_its_result_and_this_year(crew, api, client, clock):
    _patrol_on(api, crew, date(2026, 6, 1))  # two records in the campaign
    clock.move_to(_at(date(2027, 3, 31), 21))
    _patrol_on(api, crew, date(2027, 3, 31))  # two records this year, after it
    client.force_login(crew["volunteer"].user)
    header = _header(client)
    assert "2027 年服务记录" in header and "<strong>2</strong>" in header
    assert "上期目标完成 0.1%" in header
    assert "2025—2026 年服务记录目标已结束：共 2 条，目标 3200 条" in header
    assert "target-bar" not in header  # no bar toward a target nobody is counting to
    district = client.get(reverse("api-field-me")).json()["district"]
    assert district["running"] is False and district["campaign"] == "2025—2026 年服务记录目标"
    assert (district["count"], district["target"], district["year"], district["year_count"]) == (2, 3200, 2027, 2)
    stats = api(crew["staff"]).get("/api/stats/service-records/").json()
    assert stats["year"] == 2027 and stats["total"] == 2
    assert stats["campaign"]["running"] is False and stats["campaign"]["count"] == 2


def test_the_office_sets_the_next_campaign_in_the_admin_and_everything_follows(crew, api, client, clock, admin_user):
    clock.move_to(_at(date(2027, 3, 31), 21))
    _patrol_on(api, crew, date(2027, 3, 31))
    admin_client = Client()
    admin_client.force_login(admin_user)  # signed in on the day, not months before
    response = admin_client.post(reverse("admin:patrols_servicecampaign_add"), {
        "name": "2027—2028 年服务记录目标", "target": "4000", "start": "2027-01-01", "end": "2028-12-31",
        "definition": "",
    })
    assert response.status_code == 302, response.content.decode()[:500]
    client.force_login(crew["volunteer"].user)
    header = _header(client)
    assert "<strong>2</strong> / 4000" in header and 'max="4000" value="2"' in header
    assert "2027—2028 年服务记录目标：2027-01-01 至 2028-12-31" in header
    assert client.get(reverse("api-field-me")).json()["district"]["running"] is True
    listed = admin_client.get(reverse("admin:patrols_servicecampaign_changelist")).content.decode()
    assert "2 条（0.1%）" in listed


@pytest.mark.parametrize("values, field", [
    ({"start": "2027-06-01", "end": "2027-01-01"}, "end"),
    ({"start": "1999-01-01", "end": "2027-01-01"}, "start"),
    ({"target": "0"}, "target"),
])
def test_the_admin_refuses_a_campaign_that_cannot_be(admin_client, values, field):
    form = {"name": "下一期", "target": "100", "start": "2027-01-01", "end": "2027-12-31", "definition": "", **values}
    response = admin_client.post(reverse("admin:patrols_servicecampaign_add"), form)
    assert response.status_code == 200 and field in response.context["adminform"].form.errors
    assert ServiceCampaign.objects.count() == 1


def test_with_no_campaign_set_the_header_says_so_and_counts_the_year(crew, api, client):
    ServiceCampaign.objects.all().delete()
    _patrol_on(api, crew, date(2026, 6, 1))
    client.force_login(crew["volunteer"].user)
    header = _header(client)
    assert "2026 年服务记录" in header and "<strong>2</strong>" in header
    assert "河长办还没有设定服务记录目标" in header
    assert client.get(reverse("api-field-me")).json()["district"]["running"] is False
