"""Building and keeping reports (docs/reports.md): the snapshot of figures, its hash and version, and
the files made from it; and the background jobs the pages ask for.

A build's version is decided under a lock on its scope: the same snapshot (same hash) is the same
version, whoever builds it and however often; new data gives the next version, and earlier versions
and their files are never changed."""

from __future__ import annotations

import hashlib
import io
import logging
import traceback
from datetime import date, timedelta

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from riverwatch.dates import local_day
from waterways.models import Waterway

from .filters import ReportFilters
from .models import Format, ReportBuild, ReportFile, ReportJob
from .yearbook import gpkg, html, images, pdf, xlsx
from .yearbook import snapshot as snapshots
from .yearbook.scope import WATERWAY, Scope
from .yearbook.sections import district_report
from .yearbook.waterway_file import waterway_file

logger = logging.getLogger(__name__)

FILE_NAMES = {Format.HTML: "report.html", Format.PDF: "report.pdf", Format.XLSX: "report.xlsx",
              Format.GPKG: "report.gpkg"}
# A job the worker has not finished within this long is taken as lost (the worker stopped): asking
# again starts a new one instead of waiting on it.
JOB_STALE_AFTER = timedelta(minutes=15)


def compute_snapshot(scope: Scope, *, today: date | None = None, step=lambda label: None) -> dict:
    """The report's snapshot, always worded in the district's language: a report is a Chinese document,
    and whoever asks for it, in whatever language their pages are, gets the same one (and hash)."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        if scope.kind == WATERWAY:
            return waterway_file(scope, today=today, step=step)
        return district_report(scope, today=today, step=step)


def map_filters(snapshot: dict) -> ReportFilters:
    """The period and waterway a snapshot's maps and GeoPackage layers show."""
    scope = snapshot["scope"]
    waterway_ids = None
    if scope["waterway"]:
        waterway_ids = tuple(Waterway.objects.filter(code=scope["waterway"]["code"]).values_list("id", flat=True))
    return ReportFilters(start=date.fromisoformat(scope["start"]), end=date.fromisoformat(scope["as_of"]),
                         waterway_ids=waterway_ids)


def render_images(snapshot: dict, base_url: str = "") -> tuple[dict, dict]:
    """({block key: SVG}, {block key: PNG data: address}) of every chart, map and image block. A QR code
    needs the site's address (base_url): without one it is left out, and the report says how to get it."""
    svgs, pngs = images.render_all(snapshot, map_filters(snapshot))
    for _part, block in snapshots.blocks_of(snapshot, "image"):
        if base_url:
            svgs[block["key"]] = _qr_svg(base_url + block["path"])
    return svgs, {key: html.data_url(png) for key, png in pngs.items()}


def _qr_svg(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2)
    return buffer.getvalue().decode()


def _lock_scope(scope: Scope):
    """Builds of one scope take turns (within the caller's transaction): versions follow the data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["report-build:" + scope.key])


def store_build(scope: Scope, snapshot: dict, *, user=None, draw=None) -> tuple[ReportBuild, bool]:
    """The build of this snapshot: the latest version when its hash is the same, else the next version
    (also when the data went back to what an older version showed: the newest version is the data now).
    draw: makes (SVGs, PNGs) of its charts and maps (render_images), called only for a new version."""
    digest = snapshots.inputs_hash(snapshot)
    with transaction.atomic():
        _lock_scope(scope)
        latest = ReportBuild.objects.filter(scope_key=scope.key).order_by("-version").first()
        if latest is not None and latest.inputs_hash == digest:
            return latest, False
        svgs, pngs = draw() if draw is not None else ({}, {})
        build = ReportBuild(
            scope_key=scope.key, kind=scope.kind, year=scope.year, quarter=scope.quarter,
            waterway_code=scope.waterway_code, version=(latest.version if latest else 0) + 1, inputs_hash=digest,
            snapshot=snapshot, images=svgs, print_images=pngs, built_at=timezone.now(),
            built_by=user if getattr(user, "pk", None) else None)
        build.full_clean()
        build.save()
        return build, True


def build_info(build: ReportBuild) -> dict:
    return {"version": build.version, "built_at": timezone.localtime(build.built_at).isoformat(timespec="minutes"),
            "inputs_hash": build.inputs_hash}


def render_file(build: ReportBuild, fmt: str, *, base_url: str = "") -> bytes:
    info = build_info(build)
    if fmt == Format.HTML:
        return html.standalone(build.snapshot, build.images, build_info=info, base_url=base_url).encode()
    if fmt == Format.PDF:
        return pdf.render(build.snapshot, {**build.images, **build.print_images}, build_info=info, base_url=base_url)
    if fmt == Format.XLSX:
        return xlsx.render(build.snapshot, build_info=info, base_url=base_url)
    if fmt == Format.GPKG:
        return gpkg.render(build.snapshot, states_on=local_day(build.built_at))
    raise ValueError(fmt)


def make_file(build: ReportBuild, fmt: str, *, base_url: str = "") -> ReportFile:
    """The build's file in this format, made once (a GeoPackage reads the records as they are now,
    which the unchanged hash says are the build's)."""
    existing = build.files.filter(format=fmt).first()
    if existing is not None:
        return existing
    content = render_file(build, fmt, base_url=base_url)
    with transaction.atomic():
        ReportBuild.objects.select_for_update().get(pk=build.pk)
        existing = build.files.filter(format=fmt).first()
        if existing is not None:
            return existing
        made = ReportFile(build=build, format=fmt, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                          made_at=timezone.now())
        made.file.save(FILE_NAMES[fmt], ContentFile(content), save=False)
        made.full_clean()
        made.save()
        return made


def build_report(scope: Scope, formats=(), *, user=None, today=None, base_url: str = "",
                 progress=lambda fraction, label: None) -> tuple[ReportBuild, bool, list[ReportFile]]:
    """Compute, keep and render: (build, whether it is a new version, the files asked for)."""
    steps = iter(range(1, 100))

    def step(label):
        progress(min(next(steps) * 8, 60) / 100, label)

    with transaction.atomic():
        # The data is read under the scope's lock: a slower build of older data can never land after
        # a newer one and pass for the latest version.
        _lock_scope(scope)
        snapshot = compute_snapshot(scope, today=today, step=step)
        progress(0.65, _("绘制图表和地图"))
        build, created = store_build(scope, snapshot, user=user, draw=lambda: render_images(snapshot, base_url))
    files = []
    for number, fmt in enumerate(formats):
        progress(0.7 + 0.3 * number / len(formats), _("生成 %(format)s") % {"format": Format(fmt).label})
        files.append(make_file(build, fmt, base_url=base_url))
    progress(1.0, _("完成"))
    return build, created, files


# --- Background jobs -------------------------------------------------------------------------------

def is_stale(job: ReportJob) -> bool:
    return job.requested_at < timezone.now() - JOB_STALE_AFTER


def pending_job(scope: Scope) -> ReportJob | None:
    """A job for this scope the worker is still on (not stale)."""
    return (ReportJob.objects.filter(scope_key=scope.key, state__in=[ReportJob.State.QUEUED, ReportJob.State.RUNNING],
                                     requested_at__gte=timezone.now() - JOB_STALE_AFTER)
            .order_by("-requested_at").first())


def request_build(scope: Scope, *, user, base_url: str = "") -> ReportJob:
    """Queue a build of every format (or join the one already queued for this scope)."""
    from .tasks import build_report_job  # the task module imports this one

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["report-job:" + scope.key])
        job = pending_job(scope)
        if job is not None:
            return job
        job = ReportJob.objects.create(scope_key=scope.key, formats=list(Format.values), requested_by=user,
                                       requested_at=timezone.now(), step=_("排队等待"))
        transaction.on_commit(lambda: build_report_job.enqueue(str(job.pk), base_url))
    return job


def _update(job_id, **fields):
    ReportJob.objects.filter(pk=job_id).update(**fields)


def run_job(job_id: str, base_url: str = "") -> None:
    """Carry out a queued job, writing its progress as it goes; a failure is kept on the job."""
    job = ReportJob.objects.filter(pk=job_id).first()
    if job is None or job.state == ReportJob.State.DONE:
        return
    _update(job_id, state=ReportJob.State.RUNNING, progress=1, step=_("开始"))
    try:
        build, _created, _files = build_report(
            Scope.from_key(job.scope_key), job.formats, user=job.requested_by, base_url=base_url,
            progress=lambda fraction, label: _update(job_id, progress=max(1, int(fraction * 100)), step=str(label)[:120]))
    except Exception:
        logger.exception("report job %s failed", job_id)
        _update(job_id, state=ReportJob.State.FAILED, error=traceback.format_exc()[-4000:], finished_at=timezone.now(),
                step=_("生成失败"))
        raise
    _update(job_id, state=ReportJob.State.DONE, progress=100, step=_("完成"), build=build, finished_at=timezone.now())
