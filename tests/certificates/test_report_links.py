"""The certificate list as the list behind a report's "certificates issued" figure: ?year= lists exactly
the certificates issued in that Beijing year (one issued at 23:30 on 31 December belongs to that year,
one at 00:10 on 1 January to the next), with their count; a bad year is a Chinese 400."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from certificates import services
from tests.support.certificates import served
from tests.support.clock import beijing

LIST = reverse("certificate-list")


@pytest.fixture
def issued(crew, issuer, volunteer, clock):
    """Three certificates of 张志愿's June 2025: issued at 23:30 on 31 December 2025, at 00:10 on
    1 January 2026 and in March 2026 (Beijing)."""
    staff = crew["staff"].user
    clock.move_to(beijing("2025-07-01 09:00"))
    served(volunteer, beijing("2025-06-10 08:00"), minutes=120, reviewer=staff)
    certificates = {}
    for name, moment in [("dec31", "2025-12-31 23:30"), ("jan1", "2026-01-01 00:10"), ("march", "2026-03-05 10:00")]:
        clock.move_to(beijing(moment))
        certificates[name] = services.issue_certificate(person=volunteer, first=date(2025, 6, 1),
                                                        last=date(2025, 6, 30), by=staff)
    return certificates


def issued_in(year: int) -> set[str]:
    """The numbers an independent query finds: issued at a moment in the Beijing year."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM certificates_certificate WHERE issued_at >= %s AND issued_at < %s",
                       [f"{year}-01-01 00:00+08", f"{year + 1}-01-01 00:00+08"])
        return {row[0] for row in cursor.fetchall()}


def listed_numbers(html: str) -> set[str]:
    issued_part = html[html.index('class="card issued"'):]
    return set(re.findall(r'<a href="/certificates/\d+/">([^<]+)</a>', issued_part))


def staff_client(crew):
    client = Client()
    client.force_login(crew["staff"].user)
    return client


@pytest.mark.parametrize("year, shown", [(2025, 1), (2026, 2), (2024, 0)])
def test_a_year_lists_exactly_the_certificates_issued_in_it_with_their_count(crew, issued, year, shown):
    response = staff_client(crew).get(LIST, {"year": year})
    assert response.status_code == 200
    html = response.content.decode()
    assert listed_numbers(html) == issued_in(year)
    assert len(issued_in(year)) == shown
    assert f"{year} 年出具的证明（{shown}）" in html
    if not shown:
        assert f"{year} 年没有出具过证明" in html


def test_the_turn_of_the_year_is_counted_in_beijing_time(crew, issued):
    assert issued["dec31"].number in listed_numbers(staff_client(crew).get(LIST, {"year": 2025}).content.decode())
    assert issued["jan1"].number in listed_numbers(staff_client(crew).get(LIST, {"year": 2026}).content.decode())
    everything = staff_client(crew).get(LIST).content.decode()
    assert "已出具的证明（3）" in everything and len(listed_numbers(everything)) == 3


def test_the_pager_keeps_the_year(crew, issued, monkeypatch):
    from certificates import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    html = staff_client(crew).get(LIST, {"year": 2026}).content.decode()
    assert 'href="?year=2026&amp;page=2" rel="next"' in html


@pytest.mark.parametrize("year, message", [
    ("abc", "年份应为 2000 到 2100 之间的整数；收到“abc”"),
    ("1999", "年份应为 2000 到 2100 之间的整数"),
    ("2026-01", "年份应为"),
])
def test_a_bad_year_is_a_400_in_chinese(crew, issued, year, message):
    response = staff_client(crew).get(LIST, {"year": year})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert listed_numbers(html) == set()  # never the whole list under a refused year
