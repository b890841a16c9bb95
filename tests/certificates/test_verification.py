"""The page a certificate's QR code opens: no login, the number, the masked name and the hours, and
nothing else; an address nobody issued is a Chinese 404 that says nothing about others."""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from certificates import services


@pytest.fixture
def certificate(crew, issuer, volunteer, year_of_service):
    return services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                      by=crew["staff"].user, content="清理神定河沿岸垃圾，宣传河湖保护")


def test_the_page_confirms_number_masked_name_and_hours_without_a_login(certificate):
    response = Client().get(reverse("certificate-verify", args=[certificate.token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "张湾志证〔2026〕第0001号" in html and "张*愿" in html and "4.0 小时" in html
    assert "真实有效" in html
    assert response["X-Robots-Tag"] == "noindex, nofollow" and "no-cache" in response["Cache-Control"]


def test_the_page_leaks_nothing_else(certificate, volunteer):
    html = Client().get(reverse("certificate-verify", args=[certificate.token])).content.decode()
    never = [
        "张志愿",  # the full name
        "4510", "居民身份证",  # the ID, even its last four
        "HB4203-0815",  # the volunteer number
        "2026-10", "10月", "2026年10", "10-31",  # the period
        "清理神定河", "巡河", "清漂",  # the content and the records
        "13900000001",  # the phone
        f"/people/{volunteer.pk}/", f"#{volunteer.pk}",  # the person's id
        f"/certificates/{certificate.pk}/",  # the certificate's own pages
        "李主任", "王经办", "0719-8123456",  # the issuer's people
    ]
    for text in never:
        assert text not in html, text


def test_the_address_needs_the_token_not_the_number(certificate):
    client = Client()
    for guess in [str(certificate.pk), certificate.number, "0001", certificate.token[:-1], certificate.token + "x",
                  certificate.token.upper() if certificate.token.upper() != certificate.token else certificate.token.lower()]:
        response = client.get(reverse("certificate-verify", args=[guess]))
        assert response.status_code == 404, guess
        assert "没有找到这份证明" in response.content.decode()


def test_an_unknown_token_is_a_clear_chinese_404(db):
    response = Client().get("/certificates/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有找到这份证明" in html and "请重新扫描证明上的二维码" in html


def test_tokens_are_long_random_and_differ(crew, issuer, volunteer, year_of_service):
    tokens = {services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                         by=crew["staff"].user).token for _ in range(3)}
    assert len(tokens) == 3 and all(len(token) >= 32 for token in tokens)


def test_the_page_names_the_issuer_printed_on_the_certificate(crew, volunteer, year_of_service):
    from tests.support.certificates import set_issuer

    set_issuer(organisation_name="十堰市张湾区河长制办公室（试点）")
    certificate = services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                             by=crew["staff"].user)
    set_issuer(organisation_name="十堰市张湾区水利和湖泊局")  # renamed since: the certificate still says what it said
    footer = re.search(r'<footer class="public-footer">(.*?)</footer>',
                       Client().get(reverse("certificate-verify", args=[certificate.token])).content.decode(), re.S)
    assert footer and footer.group(1).strip() == "<p>十堰市张湾区河长制办公室（试点）</p>"
    # An address nobody issued names the office as it is now.
    missing = Client().get("/certificates/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/").content.decode()
    assert "十堰市张湾区水利和湖泊局" in missing and "张湾区河长制办公室" not in missing
