"""The certificate as printed: an A4 PDF in Chinese with everything the national rules ask for, its
hours the sum of the verified records in the period (Beijing days), the rest listed apart."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import Image

from certificates import services
from patrols.services import review_activity
from tests.support.certificates import RESIDENT_ID, pdf_image_count, pdf_text, set_issuer

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))

# Independent of certificates.selectors: the district day by AT TIME ZONE, the status by its stored value.
VERIFIED_HOURS_SQL = """
SELECT COALESCE(SUM(r.hours), 0)
  FROM patrols_servicerecord r JOIN patrols_activity a ON a.id = r.activity_id
 WHERE r.person_id = %s AND a.status = 'verified'
   AND (a.started_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN %s AND %s
"""


def sql_hours(person, first, last):
    with connection.cursor() as cursor:
        cursor.execute(VERIFIED_HOURS_SQL, [person.pk, first, last])
        return cursor.fetchone()[0]


def staff_client(crew):
    client = Client()
    client.force_login(crew["staff"].user)
    return client


def issue(crew, person, first, last, **extra):
    return services.issue_certificate(person=person, first=first, last=last, by=crew["staff"].user, **extra)


def test_the_pdf_holds_every_part_of_the_certificate_in_chinese(crew, issuer, volunteer, year_of_service, tmp_path):
    certificate = issue(crew, volunteer, *OCTOBER)
    response = staff_client(crew).get(reverse("certificate-pdf", args=[certificate.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    for part in ["志愿服务证明", "张湾志证〔2026〕第0001号", "张志愿", "居民身份证", "**************4510", "HB4203-0815",
                 "2026年10月1日", "2026年10月31日", "十堰市张湾区河长制办公室", "李主任", "王经办", "0719-8123456",
                 "2026年11月18日", "巡河 2 次", "清漂保洁 1 次", "特此证明", "扫码核验",
                 "志愿服务记录与证明出具办法（试行）", "不含往返交通时间"]:
        assert part in text, part
    assert f"/certificates/verify/{certificate.token}/" in text


def test_the_hours_are_the_sum_of_the_verified_records_of_the_period(crew, issuer, volunteer, year_of_service, tmp_path):
    expected = sql_hours(volunteer, *OCTOBER)
    assert expected == Decimal("4.0")  # 2.0 + 1.5 + 0.5: not the pending 3.0, the rejected 4.0 or the days outside
    certificate = issue(crew, volunteer, *OCTOBER)
    assert certificate.hours == expected and certificate.activity_count == 3
    text = pdf_text(staff_client(crew).get(reverse("certificate-pdf", args=[certificate.pk])).content, tmp_path)
    assert re.search(r"累计志愿服务时长\s*4\.0\s*小时", text)
    assert re.search(r"4\.0 小时", text)


def test_the_last_evening_counts_and_the_first_minutes_after_do_not(crew, issuer, volunteer, year_of_service):
    """23:30 on 31 October Beijing time is 15:30 UTC: a day read in UTC would still count it, but
    00:10 on 1 November is 16:10 UTC on 31 October, which it would count too."""
    november = services.issue_certificate(person=volunteer, first=date(2026, 11, 1), last=date(2026, 11, 1),
                                          by=crew["staff"].user)
    assert november.hours == sql_hours(volunteer, date(2026, 11, 1), date(2026, 11, 1)) == Decimal("1.0")
    september = services.issue_certificate(person=volunteer, first=date(2026, 9, 30), last=date(2026, 9, 30),
                                           by=crew["staff"].user)
    assert september.hours == Decimal("0.1")


def test_pending_and_rejected_records_are_listed_apart_and_not_counted(crew, issuer, volunteer, year_of_service, tmp_path):
    certificate = issue(crew, volunteer, *OCTOBER)
    assert [(row["day"], row["status"], row["hours"]) for row in certificate.set_apart_records] == [
        ("2026-10-20", "待审核", "3.0"), ("2026-10-21", "已驳回", "4.0")]
    text = pdf_text(staff_client(crew).get(reverse("certificate-pdf", args=[certificate.pk])).content, tmp_path)
    appendix = text[text.index("未计入服务时长的记录"):]
    assert "2026-10-20" in appendix and "待审核" in appendix and "2026-10-21" in appendix and "已驳回" in appendix
    counted = text[text.index("附：服务记录明细"):text.index("未计入服务时长的记录")]
    assert "2026-10-20" not in counted and "2026-10-21" not in counted
    assert all(day in counted for day in ["2026-10-01", "2026-10-12", "2026-10-31"])


def test_the_masked_id_never_shows_more_than_the_last_four(crew, issuer, volunteer, year_of_service, tmp_path,
                                                            django_user_model):
    certificate = issue(crew, volunteer, *OCTOBER)
    client, admin, owner = staff_client(crew), Client(), Client()
    admin.force_login(django_user_model.objects.create_superuser("chief-clerk", password="pw-12345"))
    owner.force_login(volunteer.user)
    text = pdf_text(client.get(reverse("certificate-pdf", args=[certificate.pk])).content, tmp_path)
    pages = [client.get(reverse("certificate-detail", args=[certificate.pk])).content.decode(),
             client.get(reverse("person-history", args=[volunteer.pk])).content.decode(),
             owner.get(reverse("person-history", args=[volunteer.pk])).content.decode(),
             owner.get(reverse("field-certificate")).content.decode(),
             admin.get(f"/admin/people/person/{volunteer.pk}/change/").content.decode(),
             admin.get(f"/admin/certificates/certificate/{certificate.pk}/change/").content.decode()]
    for shown in [text, *pages]:
        assert "4510" in shown
        for length in range(5, len(RESIDENT_ID) + 1):
            assert RESIDENT_ID[-length:] not in shown, length
    # Nor is more kept anywhere: the person row and the certificate row hold the four characters only.
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(p)::text FROM people_person p WHERE id = %s "
                       "UNION ALL SELECT row_to_json(c)::text FROM certificates_certificate c WHERE id = %s",
                       [volunteer.pk, certificate.pk])
        rows = " ".join(row[0] for row in cursor.fetchall())
    assert "4510" in rows and RESIDENT_ID[-5:] not in rows


def test_what_was_printed_stays_as_it_was_issued(crew, issuer, volunteer, year_of_service, tmp_path):
    certificate = issue(crew, volunteer, *OCTOBER)
    volunteer.name, volunteer.volunteer_number = "张改名", "OTHER-1"
    volunteer.save()
    set_issuer(organisation_name="别的单位", responsible_person="新主任")
    # The record waiting at issue is verified later: this certificate does not change.
    review_activity(activity=year_of_service["pending"], reviewer=crew["staff"].user, decision="verify")
    text = pdf_text(staff_client(crew).get(reverse("certificate-pdf", args=[certificate.pk])).content, tmp_path)
    assert "张志愿" in text and "HB4203-0815" in text and "李主任" in text and "十堰市张湾区河长制办公室" in text
    assert "张改名" not in text and "别的单位" not in text and "新主任" not in text
    assert re.search(r"累计志愿服务时长\s*4\.0\s*小时", text) and "待审核" in text


def test_the_seal_staff_uploaded_is_printed_and_kept_with_the_certificate(crew, volunteer, year_of_service, tmp_path):
    import io

    seal = io.BytesIO()
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (20, 20, 180, 180))
    image.save(seal, "PNG", pnginfo=_with_text_chunk())
    issuer = set_issuer()
    without = issue(crew, volunteer, *OCTOBER)
    issuer = services.save_settings(issuer=issuer, seal=seal.getvalue())
    assert issuer.seal.endswith(".png")
    with_seal = issue(crew, volunteer, *OCTOBER)
    client = staff_client(crew)
    assert pdf_image_count(client.get(reverse("certificate-pdf", args=[without.pk])).content, tmp_path) == 1  # the QR code
    assert pdf_image_count(client.get(reverse("certificate-pdf", args=[with_seal.pk])).content, tmp_path) == 2
    services.save_settings(issuer=issuer, remove_seal=True)
    assert pdf_image_count(client.get(reverse("certificate-pdf", args=[with_seal.pk])).content, tmp_path) == 2


def _with_text_chunk():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "planted text")
    return info


def test_the_stored_seal_is_a_clean_png(crew, tmp_path):
    import io

    from django.core.files.storage import default_storage

    seal = io.BytesIO()
    Image.new("RGBA", (50, 50), (200, 0, 0, 255)).save(seal, "PNG", pnginfo=_with_text_chunk())
    issuer = services.save_settings(issuer=set_issuer(), seal=seal.getvalue())
    stored = default_storage.open(issuer.seal, "rb").read()
    assert b"planted text" in seal.getvalue() and b"planted text" not in stored
    assert Image.open(io.BytesIO(stored)).format == "PNG"


@pytest.mark.parametrize("data, message", [
    (b"not an image", "不是可识别的 PNG 图片"),
    (None, "须为 PNG 格式"),
])
def test_a_seal_that_is_not_a_png_is_refused(db, data, message):
    import io

    from django.core.exceptions import ValidationError

    if data is None:
        buffer = io.BytesIO()
        Image.new("RGB", (40, 40)).save(buffer, "JPEG")
        data = buffer.getvalue()
    with pytest.raises(ValidationError) as refusal:
        services.save_settings(issuer=set_issuer(), seal=data)
    assert message in " ".join(refusal.value.messages)


def test_the_pdf_is_chinese_whatever_the_staff_member_reads(crew, issuer, volunteer, year_of_service, tmp_path):
    """A staff member reading the pages in English issues and prints: the kinds and statuses stored
    and printed are still Chinese (巡河, 待审核 have English translations)."""
    client = staff_client(crew)
    client.post("/i18n/setlang/", {"language": "en"})
    assert "Patrol" in client.get(reverse("activity-list")).content.decode()  # the pages are English for them
    response = client.post(reverse("certificate-issue"), {"person": volunteer.pk, "start": "2026-10-01", "end": "2026-10-31"})
    assert response.status_code == 302
    certificate = volunteer.certificates.get()
    text = pdf_text(client.get(reverse("certificate-pdf", args=[certificate.pk])).content, tmp_path)
    assert "志愿服务证明" in text and "特此证明" in text and "巡河 2 次" in text and "待审核" in text
    assert "Patrol" not in text and "Pending" not in text
