"""Stored runs: a built report is kept with its time and the hash of its inputs; the same data gives
the same version, new data the next one, and the old one stays as it was. Pages queue builds for the
worker (the database queue, run here as `manage.py db_worker` would), and the command writes files."""

import subprocess
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports import services
from reports.models import ReportBuild, ReportFile, ReportJob
from reports.selectors import builds
from reports.yearbook.scope import Scope
from tests.support.clock import beijing

pytestmark = pytest.mark.django_db
YEAR = Scope(2025)


@pytest.fixture
def a_year(report_people, plant_visits, clock):
    clock.move_to(beijing("2026-02-01 09:00"))
    plant_visits("ZW-G07", range(1, 6), beijing("2025-05-02 09:00"), person=report_people["volunteer"])
    return report_people


def test_the_same_data_gives_the_same_hash_and_version_and_new_data_the_next_version(a_year, plant_visits):
    first, created = services.store_build(YEAR, services.compute_snapshot(YEAR))
    again, created_again = services.store_build(YEAR, services.compute_snapshot(YEAR))
    assert created and not created_again
    assert again.pk == first.pk and again.inputs_hash == first.inputs_hash and again.version == 1

    plant_visits("ZW-G09", range(1, 4), beijing("2025-06-02 09:00"), person=a_year["teammate"])
    second, created = services.store_build(YEAR, services.compute_snapshot(YEAR))
    assert created and second.version == 2 and second.inputs_hash != first.inputs_hash
    kept = ReportBuild.objects.get(pk=first.pk)
    assert kept.snapshot == first.snapshot  # what was submitted is still there, unchanged
    records = [f for part in kept.snapshot["sections"] for f in part["figures"] if f["key"] == "service_records"]
    assert records[0]["value"] == 1
    assert services.compute_snapshot(YEAR)["sections"][0]["figures"][0]["value"] == 2


def test_the_command_builds_each_format_into_the_file_named(a_year, tmp_path):
    for fmt in ("html", "pdf", "xlsx", "gpkg"):
        out = tmp_path / f"report.{fmt}"
        call_command("build_report", "2025", "--format", fmt, "--out", str(out))
        assert out.stat().st_size > 1000
    build = ReportBuild.objects.get()  # four formats, one version: the data did not change between them
    assert sorted(build.files.values_list("format", flat=True)) == ["gpkg", "html", "pdf", "xlsx"]
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "总体情况" in text and "巡查覆盖" in text and "方法与说明" in text
    assert (tmp_path / "report.xlsx").read_bytes()[:2] == b"PK"
    layers = subprocess.run(["ogrinfo", "-ro", "-so", str(tmp_path / "report.gpkg")], capture_output=True,
                            text=True).stdout
    assert all(name in layers for name in ("reaches", "activities", "problems", "hotspots"))


def test_the_command_refuses_what_it_cannot_build_in_chinese(district_data, tmp_path):
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="年份"):
        call_command("build_report", "1900")
    with pytest.raises(CommandError, match="河道"):
        call_command("build_report", "2025", "--waterway", "ZW-NOPE")
    with pytest.raises(CommandError, match="目录"):
        call_command("build_report", "2025", "--out", str(tmp_path / "missing" / "x.pdf"))


# Committed for real: the worker, like the one script/server starts, closes and reopens connections.
@pytest.mark.django_db(transaction=True)
def test_a_page_request_is_queued_and_the_worker_builds_every_format(a_year, client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(a_year["staff"].user)
    response = client.post(reverse("report-build"), {"scope": "2025"})
    assert response.status_code == 302
    job = ReportJob.objects.get()
    assert job.state == "queued" and not ReportBuild.objects.exists()  # nothing was built within the request
    page = client.get(reverse("report-annual", kwargs={"year": 2025}))
    assert page.status_code == 200 and "data-job-url" in page.content.decode()
    # Asking again while it waits joins the same job.
    client.post(reverse("report-build"), {"scope": "2025"})
    assert ReportJob.objects.count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    job.refresh_from_db()
    assert job.state == "done" and job.progress == 100 and job.build.version == 1
    assert sorted(ReportFile.objects.values_list("format", flat=True)) == ["gpkg", "html", "pdf", "xlsx"]
    status = client.get(reverse("report-job", kwargs={"pk": job.pk})).json()
    assert status["state"] == "done" and status["version"] == 1


def test_only_the_office_reads_the_district_s_reports(a_year, client):
    client.force_login(a_year["volunteer"].user)
    assert client.get(reverse("report-annual", kwargs={"year": 2025})).status_code == 403
    assert client.post(reverse("report-build"), {"scope": "2025"}).status_code == 403
    client.force_login(a_year["chief"].user)
    assert client.get(reverse("report-annual", kwargs={"year": 2025})).status_code == 403
    # A chief reads the file of a waterway they oversee, not another's.
    assert client.get(reverse("waterway-file", kwargs={"code": "ZW-G07"})).status_code == 200
    assert client.get(reverse("waterway-file", kwargs={"code": "ZW-R01"})).status_code == 403


@pytest.mark.parametrize("scope, expected", [("2025-q5", 400), ("1900", 400), ("2025-ZW-NOPE", 400), ("x" * 60, 400),
                                             ("2025\x00", 400), ("2027", 400)])
def test_a_build_request_for_a_scope_that_cannot_be_gives_a_clear_400(a_year, client, scope, expected):
    client.force_login(a_year["staff"].user)
    response = client.post(reverse("report-build"), {"scope": scope})
    assert response.status_code == expected
    assert not ReportJob.objects.exists()


@pytest.mark.parametrize("path", ["/reports/1900/", "/reports/2025/q9/", "/reports/99999999999999999999/",
                                  "/reports/2025/?version=abc", "/reports/2025/?version=7",
                                  "/waterways/ZW-NOPE/file/", "/waterways/ZW-G07/file/?year=20x5"])
def test_pages_of_reports_that_cannot_be_are_4xx(a_year, client, path):
    client.force_login(a_year["staff"].user)
    assert client.get(path).status_code in (400, 404)


def test_a_version_s_images_and_files_are_the_office_s_only(a_year, client):
    build, _created, _files = services.build_report(YEAR, ["xlsx"], today=date(2026, 2, 1))
    key = next(iter(build.images))
    client.force_login(a_year["staff"].user)
    image = client.get(reverse("report-image", kwargs={"pk": build.pk, "key": key}))
    assert image.status_code == 200 and image["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in image["Content-Security-Policy"]
    download = client.get(reverse("report-download", kwargs={"pk": build.pk, "fmt": "xlsx"}))
    assert download.status_code == 200 and 'filename="riverwatch-2025-v1.xlsx"' in download["Content-Disposition"]
    assert client.get(reverse("report-download", kwargs={"pk": build.pk, "fmt": "pdf"})).status_code == 404
    client.force_login(a_year["volunteer"].user)
    assert client.get(reverse("report-image", kwargs={"pk": build.pk, "key": key})).status_code == 403
    assert client.get(reverse("report-download", kwargs={"pk": build.pk, "fmt": "xlsx"})).status_code == 403


def test_a_report_is_worded_in_chinese_and_hashed_alike_whatever_language_the_asker_reads(a_year):
    from django.utils import translation
    with translation.override("en"):
        in_english_ui = services.compute_snapshot(YEAR)
    chinese = services.compute_snapshot(YEAR)
    assert in_english_ui["sections"][0]["title"] == "总体情况"
    assert services.snapshots.inputs_hash(in_english_ui) == services.snapshots.inputs_hash(chinese)


def test_data_that_goes_back_to_an_older_version_s_is_the_newest_version_not_the_old_one(a_year, plant_visits):
    first, _created = services.store_build(YEAR, services.compute_snapshot(YEAR))
    extra = plant_visits("ZW-G09", range(1, 4), beijing("2025-06-02 09:00"), person=a_year["teammate"])
    second, _created = services.store_build(YEAR, services.compute_snapshot(YEAR))
    extra.delete()  # back to the first version's data
    third, created = services.store_build(YEAR, services.compute_snapshot(YEAR))
    assert created and third.version == 3 and third.inputs_hash == first.inputs_hash
    assert [build.version for build in builds.versions(YEAR)] == [3, 2, 1]


@pytest.mark.parametrize("path", ["/reports/2025/?version=²", "/waterways/ZW-G07/file/?year=²",
                                  "/waterways/ZW-G07/file/?year=2000"])
def test_digits_that_are_not_ascii_are_a_4xx_not_a_500(a_year, client, path):
    services.store_build(YEAR, services.compute_snapshot(YEAR))
    client.force_login(a_year["staff"].user)
    assert client.get(path).status_code in (400, 404)


def test_a_job_the_worker_never_finished_is_reported_lost_and_a_new_request_starts_another(a_year, client, settings,
                                                                                          clock):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(a_year["staff"].user)
    client.post(reverse("report-build"), {"scope": "2025"})
    job = ReportJob.objects.get()
    assert client.get(reverse("report-job", kwargs={"pk": job.pk})).json()["state"] == "queued"
    clock.move_to(beijing("2026-02-01 09:30"))  # the worker stopped: nothing happened for half an hour
    assert client.get(reverse("report-job", kwargs={"pk": job.pk})).json()["state"] == "lost"
    client.post(reverse("report-build"), {"scope": "2025"})
    assert ReportJob.objects.count() == 2


def test_a_chief_finds_the_files_of_the_waterways_they_oversee_and_nothing_else(a_year, client):
    client.force_login(a_year["chief"].user)  # village chief of ZW-G07 and ZW-G09
    page = client.get(reverse("report-index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "/waterways/ZW-G07/file/" in html and "/waterways/ZW-G09/file/" in html
    assert "/waterways/ZW-R01/file/" not in html and "/reports/2025/" not in html
    client.force_login(a_year["volunteer"].user)
    assert client.get(reverse("report-index")).status_code == 403


def test_the_geopackage_flags_overdue_problems_as_the_report_does_on_the_day_it_was_built(a_year, tmp_path):
    import geopandas

    from problems.models import Problem
    from tests.support.problems import point_on
    late = Problem.objects.create(source="hotline", category="garbage", observed_at=beijing("2025-12-20 08:00"),
                                  state="in_progress", accepted_at=beijing("2025-12-20 09:00"),
                                  first_deadline=date(2026, 1, 10), deadline=date(2026, 1, 10),
                                  point=point_on("ZW-G07", 100))
    build, _created, files = services.build_report(YEAR, ["gpkg"])  # on 2026-02-01
    figure = next(f for part in build.snapshot["sections"] for f in part["figures"] if f["key"] == "problems_overdue")
    path = tmp_path / "report.gpkg"
    path.write_bytes(files[0].file.read())
    problems = geopandas.read_file(path, layer="problems")
    assert figure["value"] == 1 and problems.set_index("id").loc[late.pk, "overdue"]
