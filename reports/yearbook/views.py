"""Pages of the reports (docs/reports.md): the annual report, the quarterly notice, a waterway's file,
their stored versions and files, and the build jobs' progress."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people import selectors as people_selectors
from waterways.models import Waterway

from .. import services
from ..models import Format, ReportBuild, ReportFile, ReportJob
from ..permissions import may_use_reports
from ..selectors import builds
from .scope import FIRST_YEAR, LAST_YEAR, WATERWAY, Scope

CONTENT_TYPES = {
    Format.HTML: "text/html; charset=utf-8",
    Format.PDF: "application/pdf",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.GPKG: "application/geopackage+sqlite3",
}
# ASCII digits only: str.isdigit() also takes "²", which int() refuses.
WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
# An SVG opened on its own runs nothing and loads nothing.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def may_read(user, scope: Scope) -> bool:
    """The office reads every report; a river chief reads the file of a waterway they oversee."""
    if people_selectors.is_office_staff(user):
        return True
    if scope.kind != WATERWAY:
        return False
    person = people_selectors.person_of(user)
    waterway = Waterway.objects.filter(code=scope.waterway_code).only("id").first()
    return bool(person and waterway and waterway.pk in people_selectors.chief_scope(person))


def _require(user, scope: Scope):
    if not may_read(user, scope):
        raise PermissionDenied(_("只有河长办工作人员（一河一档还有这条河道的河长）可以查看报告。"))


def _scope_or_404(year, quarter=None, code=""):
    try:
        scope = Scope.asked(year, quarter, code)
    except ValueError as error:
        raise Http404(str(error)) from error
    if code and not Waterway.objects.filter(code=code).exists():
        raise Http404(_("没有这条河道。"))
    return scope


def base_url(request) -> str:
    return settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")


def _page(request, scope: Scope):
    _require(request.user, scope)
    today = timezone.localdate()
    names = dict(Waterway.objects.filter(code=scope.waterway_code).values_list("code", "name")) if scope.waterway_code else {}
    title = builds.scope_title(scope, names)
    versions = builds.versions(scope)
    build = None
    wanted = request.GET.get("version")
    if wanted:
        if not WHOLE_NUMBER.fullmatch(wanted):
            return render(request, "reports/yearbook/page.html", {
                "scope": scope, "title": title, "errors": [_("版本应为正整数。")], "versions": versions}, status=400)
        build = next((version for version in versions if version.version == int(wanted)), None)
        if build is None:
            raise Http404(_("这个报告没有第 %(n)s 版。") % {"n": wanted})
    elif versions:
        build = versions[0]
    job = services.pending_job(scope) or builds.last_failed_job(scope)
    return render(request, "reports/yearbook/page.html", {
        "scope": scope,
        "title": title,
        "build": build,
        "build_info": services.build_info(build) if build else None,
        "versions": versions,
        "files": {item.format: item for item in build.files.all()} if build else {},
        "formats": Format.choices,
        "image_src": {key: reverse("report-image", kwargs={"pk": build.pk, "key": key})
                      for key in build.images} if build else {},
        "job": job,
        "started": scope.started(today),
        "is_latest": build is not None and versions and build.pk == versions[0].pk,
        "years": builds.years_offered(today),
        "today": today,
    })


@login_required
def annual(request, year: int):
    return _page(request, _scope_or_404(year))


@login_required
def quarterly(request, year: int, quarter: int):
    return _page(request, _scope_or_404(year, quarter))


@login_required
def waterway_file(request, code: str):
    today = timezone.localdate()
    year = request.GET.get("year", "")
    if year and not (WHOLE_NUMBER.fullmatch(year) and FIRST_YEAR <= int(year) <= LAST_YEAR):
        raise Http404(_("年份须在 %(first)s 至 %(last)s 之间。") % {"first": FIRST_YEAR, "last": LAST_YEAR})
    return _page(request, _scope_or_404(int(year) if year else today.year, None, code))


@login_required
def index(request):
    """The office's reports and every waterway's file; a river chief finds the files of the waterways
    they oversee."""
    office = people_selectors.is_office_staff(request.user)
    waterways = Waterway.objects.only("code", "name", "kind").order_by("-kind", "code")
    if not office:
        if not may_use_reports(request.user):
            raise PermissionDenied(_("只有河长办工作人员和河长可以查看报告。"))
        person = people_selectors.person_of(request.user)
        waterways = waterways.filter(id__in=list(people_selectors.chief_scope(person)))
    today = timezone.localdate()
    return render(request, "reports/yearbook/index.html", {
        "office": office,
        "rows": builds.index_rows(today) if office else [],
        "waterways": waterways,
        "recent": builds.recent_builds() if office else [],
        "today": today,
    })


@login_required
@require_POST
def request_build(request):
    try:
        scope = Scope.from_key(request.POST.get("scope", ""))
    except ValueError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    if scope.waterway_code and not Waterway.objects.filter(code=scope.waterway_code).exists():
        return HttpResponse(_("没有这条河道。"), status=400, content_type="text/plain; charset=utf-8")
    _require(request.user, scope)
    if not scope.started():
        return HttpResponse(_("这个时段还没有开始，无法生成报告。"), status=400, content_type="text/plain; charset=utf-8")
    services.request_build(scope, user=request.user, base_url=base_url(request))
    return redirect(builds.page_url(scope) + "#report-job")


@login_required
def job_status(request, pk):
    job = get_object_or_404(ReportJob, pk=pk)
    _require(request.user, Scope.from_key(job.scope_key))
    # A job the worker never finished (it stopped) is over as far as the page is concerned: it reloads
    # and offers to build again.
    lost = job.state in (ReportJob.State.QUEUED, ReportJob.State.RUNNING) and services.is_stale(job)
    return JsonResponse({
        "state": "lost" if lost else job.state, "state_label": _("已中断") if lost else job.get_state_display(),
        "progress": job.progress, "step": job.step,
        "version": job.build.version if job.build_id else None,
        "url": builds.page_url(Scope.from_key(job.scope_key)),
    })


@login_required
def image(request, pk: int, key: str):
    build = get_object_or_404(ReportBuild.objects.only("scope_key", "images"), pk=pk)
    _require(request.user, Scope.from_key(build.scope_key))
    svg = build.images.get(key)
    if svg is None:
        raise Http404(_("没有这张图。"))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = SVG_POLICY
    return response


@login_required
def download(request, pk: int, fmt: str):
    made = get_object_or_404(ReportFile.objects.select_related("build"), build_id=pk, format=fmt)
    scope = Scope.from_key(made.build.scope_key)
    _require(request.user, scope)
    name = f"{builds.file_stem(scope, made.build)}.{fmt}"
    return FileResponse(made.file.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[fmt])
