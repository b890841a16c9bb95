"""星级志愿者: reached at each threshold of cumulative verified hours (defaults 100/300/600/1000/1500),
shown on the profile, and moved when staff edit the thresholds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from certificates import selectors
from certificates.models import DEFAULT_STAR_HOURS
from patrols.models import ServiceRecord
from tests.support.certificates import served, set_issuer
from tests.support.clock import beijing


@pytest.mark.parametrize("hours, stars", [
    ("0", 0), ("99.9", 0), ("100", 1), ("299.9", 1), ("300", 2), ("600", 3), ("999.9", 3), ("1000", 4),
    ("1499.9", 4), ("1500", 5), ("9999", 5),
])
def test_a_star_is_reached_at_its_threshold(hours, stars):
    level = selectors.star_level(Decimal(hours), DEFAULT_STAR_HOURS)
    assert level.stars == stars


def test_the_hours_to_the_next_star():
    level = selectors.star_level(Decimal("120.5"), DEFAULT_STAR_HOURS)
    assert (level.name, level.next_name, level.next_threshold, level.hours_to_next) == ("一星志愿者", "二星", 300, Decimal("179.5"))
    top = selectors.star_level(Decimal("1600"), DEFAULT_STAR_HOURS)
    assert top.next_stars is None and top.hours_to_next is None and top.star_marks == "★★★★★"


@pytest.fixture
def hundred_hours(crew, volunteer):
    """Ten verified activities of ten hours each, and one of 5 hours waiting for review."""
    staff = crew["staff"].user
    for day in range(10):
        served(volunteer, beijing("2026-03-02 06:00") + timedelta(days=day), minutes=600, reviewer=staff)
    served(volunteer, beijing("2026-04-01 08:00"), minutes=300, decision=None)
    assert sum(ServiceRecord.objects.filter(person=volunteer).values_list("hours", flat=True)) == Decimal("105.0")
    return volunteer


def test_only_verified_hours_count_and_the_profile_shows_the_star(crew, hundred_hours):
    assert selectors.verified_hours(hundred_hours) == Decimal("100.0")
    client = Client()
    client.force_login(crew["teammate"].user)
    html = client.get(reverse("person-history", args=[hundred_hours.pk])).content.decode()
    assert "★☆☆☆☆" in html and "一星志愿者" in html and "100.0 小时" in html
    assert "二星（300 小时），还差 200.0 小时" in html


def test_staff_edit_the_thresholds_in_the_admin(crew, hundred_hours, django_user_model):
    set_issuer()
    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("chief-clerk", password="pw-12345"))
    url = reverse("admin:certificates_issuersettings_change", args=[1])
    form = {"organisation_name": "十堰市张湾区河长制办公室", "number_prefix": "张湾志证", "responsible_person": "李主任",
            "handler": "", "contact_phone": "0719-8123456",
            "star_1_hours": 50, "star_2_hours": 100, "star_3_hours": 200, "star_4_hours": 400, "star_5_hours": 800}
    response = admin.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert selectors.star_level_of(hundred_hours).stars == 2
    client = Client()
    client.force_login(hundred_hours.user)
    html = client.get(reverse("person-history", args=[hundred_hours.pk])).content.decode()
    assert "二星志愿者" in html and "三星（200 小时），还差 100.0 小时" in html

    # Thresholds that do not rise are refused, in words, and nothing changes.
    response = admin.post(url, {**form, "star_3_hours": 100})
    assert response.status_code == 200 and "逐级增加" in response.content.decode()
    assert selectors.issuer_settings().star_3_hours == 200


def test_the_admin_list_of_settings_opens_the_one_row(django_user_model, db):
    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("chief-clerk", password="pw-12345"))
    response = admin.get(reverse("admin:certificates_issuersettings_changelist"))
    assert response.status_code == 302 and response["Location"].endswith("/add/")
    page = admin.get(response["Location"]).content.decode()
    assert "十堰市张湾区河长制办公室" in page and 'value="1500"' in page
