"""一河一档: one waterway's year — its chiefs with their history, its own coverage and patrols, its
problems open and closed, the signboard's QR code; nothing of the other waterways."""

import subprocess
from datetime import date

import pytest
import zxingcpp
from django.db import connection
from PIL import Image

from patrols.models import Activity
from people.models import ChiefAssignment
from problems.models import Problem
from reports import services
from reports.yearbook.scope import Scope
from tests.support.clock import beijing
from tests.support.factories import make_person
from tests.support.problems import point_on
from waterways.models import Waterway

pytestmark = pytest.mark.django_db
G07 = Scope(2025, None, "ZW-G07")


@pytest.fixture
def g07_year(report_people, plant_visits, clock):
    clock.move_to(beijing("2026-02-01 09:00"))
    g07 = Waterway.objects.get(code="ZW-G07")
    former = make_person(name="前任河长", role="chief", level="village")
    ChiefAssignment.objects.create(person=former, waterway=g07, level="village", since=date(2020, 1, 1),
                                   until=date(2023, 12, 31))
    walks = [plant_visits("ZW-G07", range(1, 6), beijing("2025-05-02 09:00"), person=report_people["chief"]),
             plant_visits("ZW-G07", range(3, 8), beijing("2025-08-02 09:00"), person=report_people["volunteer"]),
             plant_visits("ZW-R01", range(1, 30), beijing("2025-05-03 09:00"), person=report_people["volunteer"])]
    for walk, code in zip(walks, ("ZW-G07", "ZW-G07", "ZW-R01")):  # snapped as a submission would be
        Activity.objects.filter(pk=walk.pk).update(waterway=Waterway.objects.get(code=code))
    common = dict(category="garbage", source="hotline", waterway=g07, point=point_on("ZW-G07", 100))
    Problem.objects.create(observed_at=beijing("2025-04-01 08:00"), state="closed", ending="fixed",
                           accepted_at=beijing("2025-04-01 09:00"), resolved_at=beijing("2025-04-03 09:00"), **common)
    still_open = Problem.objects.create(observed_at=beijing("2025-11-20 08:00"), state="assigned",
                                        accepted_at=beijing("2025-11-20 09:00"), first_deadline=date(2025, 12, 10),
                                        deadline=date(2025, 12, 10), **common)
    Problem.objects.create(observed_at=beijing("2025-06-01 08:00"), state="accepted", category="sewage",
                           source="hotline", waterway=Waterway.objects.get(code="ZW-R01"),
                           accepted_at=beijing("2025-06-01 09:00"), point=point_on("ZW-R01", 100))
    return {"open": still_open, **report_people}


def block(snapshot, key):
    return next(b for part in snapshot["sections"] for b in part["blocks"] if b["key"] == key)


def figure(snapshot, key):
    return next(f for part in snapshot["sections"] for f in part["figures"] if f["key"] == key)


def test_the_file_holds_the_waterway_s_chiefs_coverage_patrols_and_problems_only(g07_year):
    snapshot = services.compute_snapshot(G07)
    assert snapshot["scope"]["waterway"]["code"] == "ZW-G07" and "狮子沟" in snapshot["scope"]["title"]
    chiefs = {row["name"]: row for row in block(snapshot, "chief_posts")["rows"]}
    assert chiefs["陈河长"]["state"] == "在任" and chiefs["前任河长"]["state"] == "已卸任"
    assert chiefs["前任河长"]["until"] == "2023-12-31"

    with connection.cursor() as cursor:
        cursor.execute("""SELECT SUM(r.end_m - r.start_m) FILTER (WHERE EXISTS (
                              SELECT 1 FROM patrols_reachvisit v JOIN patrols_activity a ON a.id = v.activity_id
                               WHERE v.reach_id = r.id AND a.status <> 'rejected'
                                 AND v.visited_at >= %s AND v.visited_at < %s)), SUM(r.end_m - r.start_m)
                            FROM waterways_reach r JOIN waterways_waterway w ON w.id = r.waterway_id
                           WHERE w.code = 'ZW-G07'""", (beijing("2025-01-01 00:00"), beijing("2026-01-01 00:00")))
        visited, total = cursor.fetchone()
    assert figure(snapshot, "coverage_pct")["value"] == round(100 * visited / total, 1)
    assert [row["code"] for row in block(snapshot, "coverage_by_waterway")["rows"]] == ["ZW-G07"]
    months = {row["month"]: row for row in block(snapshot, "activities_by_month")["rows"]}
    assert months["5月"]["patrols"] == 1 and months["8月"]["patrols"] == 1 and months["6月"]["patrols"] == 0
    assert figure(snapshot, "waterway_patrols")["value"] == 2  # not the 堵河's

    assert [row["id"] for row in block(snapshot, "open_problems")["rows"]] == [g07_year["open"].pk]
    assert block(snapshot, "open_problems")["rows"][0]["state"].endswith("（逾期）")
    assert len(block(snapshot, "closed_problems")["rows"]) == 1
    assert figure(snapshot, "problems_found")["value"] == 2
    assert "waterway=ZW-G07" in figure(snapshot, "problems_found")["link"]


def test_the_signboard_qr_code_in_the_pdf_leads_to_the_waterway_s_public_report_page(g07_year, tmp_path):
    build, _created, files = services.build_report(G07, ["pdf"], base_url="https://river.example.cn")
    assert block(build.snapshot, "signboard_qr")["path"] == "/report/ZW-G07/"
    pdf = tmp_path / "file.pdf"
    pdf.write_bytes(files[0].file.read())
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    found = {result.text for page in sorted(tmp_path.glob("page*.png"))
             for result in zxingcpp.read_barcodes(Image.open(page))}
    assert "https://river.example.cn/report/ZW-G07/" in found


def test_a_chief_opens_the_file_of_their_waterway_and_its_pdf(g07_year, client):
    build, _created, _files = services.build_report(G07, ["pdf"], base_url="https://river.example.cn")
    client.force_login(g07_year["chief"].user)
    page = client.get("/waterways/ZW-G07/file/?year=2025")
    assert page.status_code == 200
    html = page.content.decode()
    assert "狮子沟" in html and "河长及任职情况" in html and "前任河长" in html
    pdf = client.get(f"/reports/versions/{build.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_without_a_site_address_the_file_says_how_to_get_the_qr_code_instead_of_printing_a_dead_one(g07_year):
    build, _created, files = services.build_report(G07, ["html"])
    assert "signboard_qr" not in build.images  # a QR code of a path alone leads nowhere from a phone
    assert "SITE_URL" in files[0].file.read().decode()


def test_the_data_fingerprint_does_not_depend_on_the_host_the_build_was_asked_from(g07_year):
    first, _created, _files = services.build_report(G07, base_url="https://river.example.cn")
    again, created, _files = services.build_report(G07, base_url="http://127.0.0.1:8000")
    assert not created and again.pk == first.pk and "signboard_qr" in again.images


def test_a_past_year_s_file_lists_no_problem_found_after_it(g07_year):
    Problem.objects.create(observed_at=beijing("2026-01-05 08:00"), state="accepted", category="garbage",
                           source="hotline", waterway=Waterway.objects.get(code="ZW-G07"),
                           accepted_at=beijing("2026-01-05 09:00"), point=point_on("ZW-G07", 100))
    snapshot = services.compute_snapshot(G07)
    assert [row["id"] for row in block(snapshot, "open_problems")["rows"]] == [g07_year["open"].pk]
