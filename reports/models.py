"""Stored report builds (docs/reports.md): what the office submitted, kept as built.

A build is one version of one scope (a year, a quarter, a waterway's year): its snapshot of every
figure, the hash of that snapshot, and the files made from it. Building again over unchanged data
gives the same hash and so the same version as the latest; changed data gives the next version, and
the old one stays. A job is a request from the pages that the worker carries out, with its progress."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Format(models.TextChoices):
    HTML = "html", _("网页（HTML）")
    PDF = "pdf", _("PDF")
    XLSX = "xlsx", _("Excel（XLSX）")
    GPKG = "gpkg", _("GeoPackage（GIS）")


class ReportBuild(models.Model):
    scope_key = models.CharField(_("报告范围"), max_length=48, help_text=_("如 2026、2026-q3、2026-ZW-G07"))
    kind = models.CharField(_("报告类型"), max_length=16)
    year = models.PositiveSmallIntegerField(_("年份"))
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True)
    waterway_code = models.CharField(_("河道编码"), max_length=32, blank=True)
    version = models.PositiveIntegerField(_("版本"))
    inputs_hash = models.CharField(_("数据指纹（SHA-256）"), max_length=64)
    snapshot = models.JSONField(_("报告数据"))
    images = models.JSONField(_("图表与地图（SVG）"), default=dict, blank=True)
    # The same drawn as PNG (data: addresses) for the PDF: a map needs the database, so it is drawn once,
    # with the snapshot, and a later PDF of this version prints what the page shows.
    print_images = models.JSONField(_("图表与地图（PNG，打印用）"), default=dict, blank=True)
    built_at = models.DateTimeField(_("生成时间"))
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("生成人"))

    class Meta:
        verbose_name = _("报告版本")
        verbose_name_plural = _("报告版本")
        constraints = [
            models.UniqueConstraint(fields=["scope_key", "version"], name="report_build_version_once"),
        ]
        ordering = ["scope_key", "-version"]

    def __str__(self):
        return f"{self.scope_key} v{self.version}"


def report_file_path(instance, filename):
    # By the build's id: a waterway's code is the office's text and has no place in a path.
    return f"reports/build-{instance.build_id}/{filename}"


class ReportFile(models.Model):
    build = models.ForeignKey(ReportBuild, on_delete=models.PROTECT, related_name="files", verbose_name=_("报告版本"))
    format = models.CharField(_("格式"), max_length=8, choices=Format.choices)
    file = models.FileField(_("文件"), upload_to=report_file_path, max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    made_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("报告文件")
        verbose_name_plural = _("报告文件")
        constraints = [models.UniqueConstraint(fields=["build", "format"], name="report_file_once_per_format")]

    def __str__(self):
        return f"{self.build} {self.format}"


class ReportJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope_key = models.CharField(_("报告范围"), max_length=48)
    formats = models.JSONField(_("格式"), default=list)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"))
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    step = models.CharField(_("当前步骤"), max_length=120, blank=True)
    error = models.TextField(_("错误"), blank=True)
    build = models.ForeignKey(ReportBuild, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs",
                              verbose_name=_("报告版本"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告生成任务")
        verbose_name_plural = _("报告生成任务")
        indexes = [models.Index(fields=["scope_key", "-requested_at"], name="report_job_scope_recent")]

    def __str__(self):
        return f"{self.scope_key} {self.state}"
