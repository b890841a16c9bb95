"""Issuing from the office's form (preview first), volunteers' requests from the profile and the
phone, declining, and every kind of bad input: a clear 4xx in Chinese, and nothing stored."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from certificates import services
from certificates.models import Certificate, CertificateRequest
from people import services as people_services
from people.models import Person
from tests.support.factories import make_person


def client_of(person):
    client = Client()
    client.force_login(person.user)
    return client


def test_the_preview_counts_verified_hours_and_lists_the_rest_apart(crew, issuer, volunteer, year_of_service):
    response = client_of(crew["staff"]).get(reverse("certificate-issue"),
                                            {"person": volunteer.pk, "start": "2026-10-01", "end": "2026-10-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong class="counted-hours">4.0</strong>' in html
    counted = html[html.index("计入的服务记录（已审核）"):html.index("未计入的记录（待审核或已驳回）")]
    apart = html[html.index("未计入的记录（待审核或已驳回）"):]
    assert "2026-10-01" in counted and "2026-10-31" in counted and "2026-10-20" not in counted
    assert "2026-10-20" in apart and "待审核" in apart and "2026-10-21" in apart and "已驳回" in apart
    assert "出具证明（4.0 小时）" in html
    assert not Certificate.objects.exists()  # a preview issues nothing


BAD_PERIODS = [
    ({"start": "2026-02-30", "end": "2026-10-31"}, "有效的日期"),
    ({"start": "2026-13-01", "end": "2026-10-31"}, "有效的日期"),
    ({"start": "", "end": "2026-10-31"}, "请填写日期"),
    ({"start": "2026-10-31", "end": "2026-10-01"}, "结束日期不能早于开始日期"),
    ({"start": "2026-10-01", "end": "2026-11-19"}, "结束日期不能晚于今天（2026-11-18）"),
    ({"start": "2016-01-01", "end": "2026-10-31"}, "服务时段最长 10 年"),
    ({"start": "1999-12-31", "end": "2026-10-31"}, "日期应在 2000-01-01 到 2100-12-31 之间"),
    ({"start": "9999-12-31", "end": "2026-10-31"}, "日期应在"),
    ({"start": "2026-10-01\x00", "end": "2026-10-31"}, "有效的日期"),
]


@pytest.mark.parametrize("period, message", BAD_PERIODS)
def test_a_bad_period_is_a_chinese_400_and_issues_nothing(crew, issuer, volunteer, year_of_service, period, message):
    response = client_of(crew["staff"]).post(reverse("certificate-issue"), {"person": volunteer.pk, **period})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("period, message", BAD_PERIODS)
def test_a_bad_period_in_a_request_is_a_chinese_400_and_stores_nothing(volunteer, period, message):
    for url in [reverse("certificate-request"), reverse("field-certificate")]:
        response = client_of(volunteer).post(url, period)
        assert response.status_code == 400 and message in response.content.decode()
    assert not CertificateRequest.objects.exists()


@pytest.mark.parametrize("fields, message", [
    ({"content": "巡河\x00"}, "无法保存的字符"),
    ({"content": "长" * 301}, "最多 300 个字"),
    ({"person": "999999"}, "没有这位人员"),
    ({"person": "99999999999999999999"}, "没有这位人员"),
    ({"person": "张志愿"}, "没有这位人员"),
    ({"request": "abc"}, "申请编号有误"),
    ({"request": "99999999999999"}, "申请编号有误"),
    ({"request": "424242"}, "这份申请已经处理过了，或者不存在"),
])
def test_bad_fields_are_chinese_400s(crew, issuer, volunteer, year_of_service, fields, message):
    body = {"person": volunteer.pk, "start": "2026-10-01", "end": "2026-10-31", **fields}
    response = client_of(crew["staff"]).post(reverse("certificate-issue"), body)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Certificate.objects.exists()


def test_a_nul_in_the_preview_address_is_refused_before_the_view(crew, issuer, volunteer):
    response = client_of(crew["staff"]).get(reverse("certificate-issue") + f"?person={volunteer.pk}&start=2026-10-01%00&end=2026-10-31")
    assert response.status_code == 400


def test_a_person_with_no_verified_hours_is_refused_in_words(crew, issuer, volunteer, year_of_service):
    staff = client_of(crew["staff"])
    # Only a pending and a rejected record on these days.
    period = {"person": volunteer.pk, "start": "2026-10-20", "end": "2026-10-21"}
    preview = staff.get(reverse("certificate-issue"), period).content.decode()
    assert "没有已审核的服务时长，不能出具证明" in preview and 'id="issue-button"' not in preview
    response = staff.post(reverse("certificate-issue"), period)
    assert response.status_code == 400 and "没有已审核的服务时长，不能出具证明" in response.content.decode()
    assert not Certificate.objects.exists()


def test_the_office_must_name_its_responsible_person_and_contact_first(crew, volunteer, year_of_service):
    response = client_of(crew["staff"]).post(reverse("certificate-issue"),
                                             {"person": volunteer.pk, "start": "2026-10-01", "end": "2026-10-31"})
    assert response.status_code == 400
    assert "证明须写明负责人和联系电话" in response.content.decode()
    assert not Certificate.objects.exists()


def test_the_handler_is_the_staff_member_when_the_settings_name_none(crew, volunteer, year_of_service):
    from tests.support.certificates import set_issuer

    set_issuer(handler="")
    certificate = services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                             by=crew["staff"].user)
    assert certificate.handler == "河长办小刘"


def test_a_request_from_the_profile_is_issued_by_staff(crew, issuer, volunteer, year_of_service):
    own = client_of(volunteer)
    response = own.post(reverse("certificate-request"), {"start": "2026-10-01", "end": "2026-10-31", "note": "单位评优用"})
    assert response.status_code == 302 and response["Location"] == reverse("person-history", args=[volunteer.pk])
    asked = CertificateRequest.objects.get()
    assert (asked.status, asked.note) == ("open", "单位评优用")
    profile = own.get(response["Location"]).content.decode()
    assert "正在等河长办处理" in profile and "申请已提交" in profile

    staff = client_of(crew["staff"])
    listed = staff.get(reverse("certificate-list")).content.decode()
    assert "待处理的申请（1）" in listed and "单位评优用" in listed and f"?request={asked.pk}" in listed
    form = staff.get(reverse("certificate-issue"), {"request": asked.pk}).content.decode()
    assert f'<input type="hidden" name="person" value="{volunteer.pk}">' in form and 'value="2026-10-01"' in form
    response = staff.post(reverse("certificate-issue"), {"person": volunteer.pk, "start": "2026-10-01",
                                                         "end": "2026-10-31", "request": asked.pk})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == "issued" and asked.certificate.hours == 4
    profile = own.get(reverse("person-history", args=[volunteer.pk])).content.decode()
    assert asked.certificate.number in profile and "正在等河长办处理" not in profile
    # Answered once: issuing on it again is refused.
    again = staff.post(reverse("certificate-issue"), {"person": volunteer.pk, "start": "2026-10-01",
                                                      "end": "2026-10-31", "request": asked.pk})
    assert again.status_code == 400 and Certificate.objects.count() == 1


def test_one_open_request_at_a_time(volunteer):
    own = client_of(volunteer)
    assert own.post(reverse("field-certificate"), {"start": "2026-01-01", "end": "2026-10-31"}).status_code == 302
    response = own.post(reverse("field-certificate"), {"start": "2026-02-01", "end": "2026-10-31"})
    assert response.status_code == 400 and "您已有一份待处理的申请" in response.content.decode()
    assert CertificateRequest.objects.count() == 1


def test_a_declined_request_tells_the_volunteer_why(crew, volunteer):
    asked = services.request_certificate(person=volunteer, first=date(2026, 1, 1), last=date(2026, 10, 31),
                                         by=volunteer.user)
    staff = client_of(crew["staff"])
    refused = staff.post(reverse("certificate-request-decline", args=[asked.pk]), {"reason": "   "})
    assert refused.status_code == 302
    asked.refresh_from_db()
    assert asked.status == "open"
    staff.post(reverse("certificate-request-decline", args=[asked.pk]), {"reason": "该时段的记录还在审核，请下月再申请"})
    asked.refresh_from_db()
    assert asked.status == "declined" and asked.decided_by == crew["staff"].user
    for page in [reverse("person-history", args=[volunteer.pk]), reverse("field-certificate")]:
        html = client_of(volunteer).get(page).content.decode()
        assert "的申请未出具：该时段的记录还在审核，请下月再申请" in html
    # And the volunteer may ask again.
    assert client_of(volunteer).post(reverse("field-certificate"),
                                     {"start": "2026-01-01", "end": "2026-10-31"}).status_code == 302


def test_the_phone_page_and_its_link(volunteer, issuer, year_of_service, crew):
    own = client_of(volunteer)
    home = own.get(reverse("field-home")).content.decode()
    assert reverse("field-certificate") in home and "申请志愿服务证明" in home
    page = own.get(reverse("field-certificate"))
    html = page.content.decode()
    assert page.status_code == 200 and 'name="start"' in html and "累计已审核服务" in html
    assert "居民身份证 **************4510" in html


def test_the_office_menu_links_the_list_for_staff_only(crew):
    assert reverse("certificate-list") in client_of(crew["staff"]).get(reverse("activity-list")).content.decode()
    assert reverse("certificate-list") not in client_of(crew["volunteer"]).get(reverse("activity-list")).content.decode()


def test_the_list_shows_newest_first_and_pages(crew, issuer, volunteer, year_of_service, monkeypatch):
    from certificates import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for _ in range(3):
        services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                   by=crew["staff"].user)
    staff = client_of(crew["staff"])
    first = staff.get(reverse("certificate-list")).content.decode()
    assert first.index("第0003号") < first.index("第0002号") and "第0001号" not in first
    assert "第0001号" in staff.get(reverse("certificate-list"), {"page": 2}).content.decode()
    assert staff.get(reverse("certificate-list"), {"page": "abc\u202e"}).status_code == 200


def test_a_leaver_s_open_request_is_closed_and_certificates_kept(crew, issuer, volunteer, year_of_service):
    from people.services import anonymise_person

    certificate = services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                             by=crew["staff"].user)
    asked = services.request_certificate(person=volunteer, first=date(2026, 1, 1), last=date(2026, 10, 31),
                                         note="给学校", by=volunteer.user)
    summary = anonymise_person(person=volunteer, by=crew["staff"].user)
    asked.refresh_from_db()
    assert asked.status == "declined" and asked.note == ""
    assert "志愿服务证明申请撤销 1 份" in summary.note
    assert Certificate.objects.get(pk=certificate.pk).name == "张志愿"  # as issued: see docs/certificates.md


# --- Finding the person on the issue form -----------------------------------------------------------

def radios(html):
    return [int(pk) for pk in re.findall(r'<input type="radio" name="person" value="(\d+)"', html)]


def test_the_issue_form_finds_people_by_name_or_phone_and_lists_only_a_few(crew, issuer, volunteer):
    for n in range(25):
        make_person(name=f"王测试{n:02d}", phone=f"1380000{n:04d}")
    staff = client_of(crew["staff"])
    empty = staff.get(reverse("certificate-issue")).content.decode()
    assert '<select name="person"' not in empty and 'name="q"' in empty and radios(empty) == []  # nobody listed yet
    by_name = staff.get(reverse("certificate-issue"), {"q": " 志愿 ", "start": "2026-10-01", "end": "2026-10-31"})
    html = by_name.content.decode()
    assert by_name.status_code == 200 and radios(html) == [volunteer.pk]
    assert 'value="2026-10-01"' in html and 'value="2026-10-31"' in html  # the period typed is kept
    assert radios(staff.get(reverse("certificate-issue"), {"q": "13900000001"}).content.decode()) == [volunteer.pk]
    many = staff.get(reverse("certificate-issue"), {"q": "王测试"}).content.decode()
    assert len(radios(many)) == 20 and "只列出前 20 位" in many
    nobody = staff.get(reverse("certificate-issue"), {"q": "不存在的人"}).content.decode()
    assert radios(nobody) == [] and "没有找到“不存在的人”" in nobody
    # Chosen from the list: the preview names them, with a way back to the search.
    preview = staff.get(reverse("certificate-issue"), {"q": "志愿", "person": volunteer.pk, "start": "2026-10-01",
                                                       "end": "2026-10-31"}).content.decode()
    assert f'<input type="hidden" name="person" value="{volunteer.pk}">' in preview and 'class="change-person"' in preview


def test_leavers_are_neither_found_nor_issued_for(crew, issuer, volunteer, year_of_service, admin_user):
    staff = client_of(crew["staff"])
    left = make_person(name="张离开", phone="13700000001")
    left.is_active = False
    left.save()
    gone = make_person(name="张注销", phone="13700000002")
    people_services.anonymise_person(person=gone, by=admin_user)
    Person.objects.filter(pk=gone.pk).update(is_active=True)  # set active again by mistake: still a leaver
    found = staff.get(reverse("certificate-issue"), {"q": "张"}).content.decode()
    assert radios(found) == [volunteer.pk]
    assert radios(staff.get(reverse("certificate-issue"), {"q": "已注销"}).content.decode()) == []
    for person in (left, gone):
        response = staff.post(reverse("certificate-issue"), {"person": person.pk, "start": "2026-10-01",
                                                             "end": "2026-10-31"})
        assert response.status_code == 400 and "没有这位人员" in response.content.decode()
        with pytest.raises(ValidationError) as refusal:
            services.issue_certificate(person=Person.objects.get(pk=person.pk), first=date(2026, 10, 1),
                                       last=date(2026, 10, 31), by=crew["staff"].user)
        assert "已不在册" in refusal.value.messages[0]
    assert not Certificate.objects.exists()
