"""Who may do what: only office staff issue and answer requests; a volunteer asks for themself only;
a certificate (page and PDF) is for staff and the person it names."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from certificates import services
from certificates.models import Certificate, CertificateRequest


def client_of(person):
    client = Client()
    client.force_login(person.user)
    return client


@pytest.fixture
def certificate(crew, issuer, volunteer, year_of_service):
    return services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                      by=crew["staff"].user)


ISSUE = {"person": "", "start": "2026-10-01", "end": "2026-10-31"}


@pytest.mark.parametrize("who", ["volunteer", "leader", "chief", "outsider"])
def test_only_staff_reach_the_office_pages_and_issue(crew, issuer, volunteer, year_of_service, who):
    client = client_of(crew[who])
    assert client.get(reverse("certificate-list")).status_code == 403
    assert client.get(reverse("certificate-issue")).status_code == 403
    response = client.post(reverse("certificate-issue"), {**ISSUE, "person": volunteer.pk})
    assert response.status_code == 403 and "没有权限" in response.content.decode()
    assert not Certificate.objects.exists()
    with pytest.raises(PermissionDenied):
        services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                   by=crew[who].user)


def test_signed_out_visitors_are_sent_to_sign_in(db):
    for name in ["certificate-list", "certificate-issue", "certificate-request", "field-certificate"]:
        response = Client().get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), name


def test_staff_issue_from_the_form(crew, issuer, volunteer, year_of_service):
    response = client_of(crew["staff"]).post(reverse("certificate-issue"), {**ISSUE, "person": volunteer.pk})
    certificate = Certificate.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("certificate-detail", args=[certificate.pk])
    assert certificate.person == volunteer and str(certificate.hours) == "4.0"
    assert certificate.issued_by == crew["staff"].user


@pytest.mark.parametrize("who, status", [("volunteer", 200), ("staff", 200), ("teammate", 404), ("leader", 404),
                                         ("chief", 404), ("outsider", 404)])
def test_a_certificate_is_for_the_person_and_staff_only(crew, certificate, who, status):
    client = client_of(crew[who])
    assert client.get(reverse("certificate-pdf", args=[certificate.pk])).status_code == status
    assert client.get(reverse("certificate-detail", args=[certificate.pk])).status_code == status


def test_the_pdf_is_never_cached_by_the_way(crew, certificate):
    response = client_of(crew["volunteer"]).get(reverse("certificate-pdf", args=[certificate.pk]))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_volunteer_asks_for_themself_only(crew, volunteer):
    with pytest.raises(PermissionDenied):
        services.request_certificate(person=crew["teammate"], first=date(2026, 1, 1), last=date(2026, 10, 31),
                                     by=volunteer.user)
    # The pages take no person: whatever is sent, the request is the signed-in person's.
    response = client_of(volunteer).post(reverse("certificate-request"),
                                         {"start": "2026-01-01", "end": "2026-10-31", "person": crew["teammate"].pk})
    assert response.status_code == 302
    assert list(CertificateRequest.objects.values_list("person_id", flat=True)) == [volunteer.pk]


def test_only_staff_decline_a_request(crew, volunteer):
    asked = services.request_certificate(person=volunteer, first=date(2026, 1, 1), last=date(2026, 10, 31),
                                         by=volunteer.user)
    response = client_of(crew["leader"]).post(reverse("certificate-request-decline", args=[asked.pk]), {"reason": "不行"})
    assert response.status_code == 403
    asked.refresh_from_db()
    assert asked.status == "open"


def test_the_card_shows_certificates_only_to_the_person_and_staff(crew, certificate, volunteer):
    url = reverse("person-history", args=[volunteer.pk])
    own = client_of(volunteer).get(url).content.decode()
    assert certificate.number in own and reverse("certificate-pdf", args=[certificate.pk]) in own
    assert "申请志愿服务证明" in own and "公开榜单只显示姓名首字母" in own
    staff = client_of(crew["staff"]).get(url).content.decode()
    assert certificate.number in staff and "为其出具证明" in staff and "公开榜单只显示姓名首字母" not in staff
    other = client_of(crew["teammate"]).get(url).content.decode()
    assert "志愿服务" in other  # the star level is there for everyone
    for private in [certificate.number, "4510", "HB4203-0815", "申请志愿服务证明", "公开榜单只显示姓名首字母"]:
        assert private not in other, private


def test_the_admin_only_looks_certificates_and_requests_up(certificate, admin_user):
    """Issued and answered on /certificates/: the admin lists them, with nothing to add, change or delete
    (riverwatch.admin_helpers.ReadOnlyAdmin), and shows the ID masked."""
    client = Client()
    client.force_login(admin_user)
    asked = CertificateRequest.objects.create(person=certificate.person, period_start=date(2026, 1, 1),
                                              period_end=date(2026, 3, 31))
    for model, obj in (("certificate", certificate), ("certificaterequest", asked)):
        assert client.get(reverse(f"admin:certificates_{model}_changelist")).status_code == 200, model
        page = client.get(reverse(f"admin:certificates_{model}_change", args=[obj.pk]))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode(), model
        assert client.get(reverse(f"admin:certificates_{model}_add")).status_code == 403, model
        assert client.get(reverse(f"admin:certificates_{model}_delete", args=[obj.pk])).status_code == 403, model
        assert client.post(reverse(f"admin:certificates_{model}_change", args=[obj.pk]), {}).status_code == 403, model
    assert "**************4510" in client.get(
        reverse("admin:certificates_certificate_change", args=[certificate.pk])).content.decode()
