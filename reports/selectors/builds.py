"""Reads of the stored report builds and jobs (reports/models.py)."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _

from waterways.models import Waterway

from ..models import ReportBuild, ReportJob
from ..yearbook.scope import QUARTERLY, WATERWAY, Scope

YEARS_OFFERED = 3  # the index lists this year and the two before


def versions(scope: Scope) -> list[ReportBuild]:
    """Every stored version of the scope, newest first, with its files."""
    return list(ReportBuild.objects.filter(scope_key=scope.key).prefetch_related("files")
                .select_related("built_by").defer("snapshot", "images", "print_images").order_by("-version"))


def last_failed_job(scope: Scope) -> ReportJob | None:
    """The scope's last job, when it failed after the last version was built: the page says so."""
    job = ReportJob.objects.filter(scope_key=scope.key).order_by("-requested_at").first()
    return job if job is not None and job.state == ReportJob.State.FAILED else None


def page_url(scope: Scope) -> str:
    if scope.kind == WATERWAY:
        return reverse("waterway-file", kwargs={"code": scope.waterway_code}) + f"?year={scope.year}"
    if scope.kind == QUARTERLY:
        return reverse("report-quarterly", kwargs={"year": scope.year, "quarter": scope.quarter})
    return reverse("report-annual", kwargs={"year": scope.year})


def file_stem(scope: Scope, build: ReportBuild) -> str:
    return f"riverwatch-{scope.key}-v{build.version}"


def years_offered(today: date) -> list[int]:
    return list(range(today.year, today.year - YEARS_OFFERED, -1))


def index_rows(today: date) -> list[dict]:
    """This year and the two before, each with its quarters that have started, and the latest version
    of each (one query for all of them)."""
    scopes = []
    for year in years_offered(today):
        scopes.append(Scope(year))
        scopes += [Scope(year, quarter) for quarter in range(1, 5) if Scope(year, quarter).started(today)]
    latest = {}
    for build in (ReportBuild.objects.filter(scope_key__in=[scope.key for scope in scopes])
                  .defer("snapshot", "images", "print_images").order_by("scope_key", "-version").distinct("scope_key")):
        latest[build.scope_key] = build
    return [{"scope": scope, "title": scope_title(scope, {}), "url": page_url(scope), "latest": latest.get(scope.key)}
            for scope in scopes]


def scope_title(scope: Scope, waterway_names: dict) -> str:
    if scope.kind == WATERWAY:
        return _("%(name)s %(year)s 年一河一档") % {"name": waterway_names.get(scope.waterway_code, scope.waterway_code),
                                                "year": scope.year}
    if scope.kind == QUARTERLY:
        return _("%(period)s河长巡河通报") % {"period": scope.period_label()}
    return _("%(period)s年度报告") % {"period": scope.period_label()}


def recent_builds(limit: int = 20) -> list[dict]:
    """The versions built last, each with its report's title and page."""
    builds = list(ReportBuild.objects.select_related("built_by").defer("snapshot", "images", "print_images")
                  .order_by("-built_at")[:limit])
    names = dict(Waterway.objects.filter(code__in={build.waterway_code for build in builds if build.waterway_code})
                 .values_list("code", "name"))
    rows = []
    for build in builds:
        scope = Scope.from_key(build.scope_key)
        rows.append({"title": scope_title(scope, names), "page_url": page_url(scope), "version": build.version,
                     "built_at": build.built_at, "built_by": build.built_by})
    return rows
