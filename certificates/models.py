"""Volunteer service certificates (志愿服务证明), after 《志愿服务记录与证明出具办法（试行）》 (2021):
the issuing office's settings, every certificate issued (kept as printed: the database refuses to
change or delete one, see migration 0001), and volunteers' requests for one. docs/certificates.md."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from people.identity import IdType

DEFAULT_ORGANISATION = "十堰市张湾区河长制办公室"
DEFAULT_NUMBER_PREFIX = "张湾志证"
# 星级志愿者 by cumulative verified hours (福建省 and the 2012 national record rules: 100/300/600/1000/1500).
DEFAULT_STAR_HOURS = (100, 300, 600, 1000, 1500)
SETTINGS_ID = 1


class IssuerSettings(models.Model):
    """The one row of what the office prints on every certificate, and the star thresholds. Read with
    selectors.issuer_settings() (defaults until staff save it once); saved by services.save_settings()."""

    organisation_name = models.CharField(_("出具单位"), max_length=64, default=DEFAULT_ORGANISATION)
    number_prefix = models.CharField(
        _("证明编号代字"), max_length=16, default=DEFAULT_NUMBER_PREFIX,
        help_text=_("编号形如“张湾志证〔2026〕第0001号”，每年从 0001 起。"),
    )
    responsible_person = models.CharField(_("负责人"), max_length=32, blank=True)
    handler = models.CharField(
        _("经办人"), max_length=32, blank=True, help_text=_("留空时，证明上的经办人是出具证明的工作人员。"),
    )
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    # A PNG re-encoded by services.save_settings (no metadata), named by its content: a new seal is a new
    # file, and certificates issued with the old one keep pointing at theirs.
    seal = models.CharField(_("印章图片"), max_length=200, blank=True, editable=False)
    star_1_hours = models.PositiveIntegerField(_("一星（小时）"), default=DEFAULT_STAR_HOURS[0])
    star_2_hours = models.PositiveIntegerField(_("二星（小时）"), default=DEFAULT_STAR_HOURS[1])
    star_3_hours = models.PositiveIntegerField(_("三星（小时）"), default=DEFAULT_STAR_HOURS[2])
    star_4_hours = models.PositiveIntegerField(_("四星（小时）"), default=DEFAULT_STAR_HOURS[3])
    star_5_hours = models.PositiveIntegerField(_("五星（小时）"), default=DEFAULT_STAR_HOURS[4])
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("志愿服务证明设置")
        verbose_name_plural = _("志愿服务证明设置")
        constraints = [
            models.CheckConstraint(condition=Q(id=SETTINGS_ID), name="issuer_settings_single_row"),
            models.CheckConstraint(
                condition=Q(star_1_hours__gt=0, star_2_hours__gt=F("star_1_hours"), star_3_hours__gt=F("star_2_hours"),
                            star_4_hours__gt=F("star_3_hours"), star_5_hours__gt=F("star_4_hours")),
                name="issuer_settings_stars_rise",
                violation_error_message=_("星级时长须大于 0，且一星到五星逐级增加。"),
            ),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)

    @property
    def star_hours(self):
        return (self.star_1_hours, self.star_2_hours, self.star_3_hours, self.star_4_hours, self.star_5_hours)


class Certificate(models.Model):
    """One certificate as issued. Everything printed is copied onto the row when it is issued, so the
    PDF printed years later says what it said that day, whatever happened to the person, the settings
    or the records since. The database refuses UPDATE and DELETE (migration 0001)."""

    number = models.CharField(_("证明编号"), max_length=64, unique=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("年度序号"))
    # In the verification address (the QR code): unguessable, unlike the number.
    token = models.CharField(_("核验码"), max_length=64, unique=True, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="certificates",
                               verbose_name=_("志愿者"))
    period_start = models.DateField(_("服务时段起"))
    period_end = models.DateField(_("服务时段止"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=8, decimal_places=1)
    activity_count = models.PositiveIntegerField(_("服务次数"))
    content = models.TextField(_("服务内容"))
    # The volunteer as printed.
    name = models.CharField(_("姓名"), max_length=64)
    id_type = models.CharField(_("证件类型"), max_length=32, choices=IdType.choices, blank=True)
    id_tail = models.CharField(_("证件号码后四位"), max_length=4, blank=True)
    volunteer_number = models.CharField(_("志愿者编号"), max_length=32, blank=True)
    # The issuer as printed.
    organisation_name = models.CharField(_("出具单位"), max_length=64)
    responsible_person = models.CharField(_("负责人"), max_length=32)
    handler = models.CharField(_("经办人"), max_length=150)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    seal = models.CharField(_("印章图片"), max_length=200, blank=True)
    # The records behind the hours, and those listed apart (pending or rejected), as they were:
    # [{"day": "2026-05-01", "kind": "巡河", "waterway": "…", "hours": "1.5", "status": "…"}].
    counted_records = models.JSONField(_("计入的服务记录"), default=list)
    set_apart_records = models.JSONField(_("未计入的服务记录"), default=list, blank=True)
    issued_on = models.DateField(_("出具日期"))
    issued_at = models.DateTimeField(_("出具时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("出具人"))

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("志愿服务证明")
        verbose_name_plural = _("志愿服务证明")
        constraints = [
            models.UniqueConstraint(fields=["year", "serial"], name="certificate_unique_serial_per_year"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="certificate_period_order"),
            models.CheckConstraint(condition=Q(hours__gt=Decimal("0")), name="certificate_hours_positive"),
            models.CheckConstraint(condition=Q(id_tail="") | Q(id_tail__regex=r"^[0-9A-Z]{4}$"),
                                   name="certificate_id_tail_only"),
        ]
        indexes = [models.Index(fields=["person", "-issued_at"], name="certificate_person")]

    def __str__(self):
        return self.number


class CertificateRequest(models.Model):
    """A volunteer asking the office for a certificate over a period (from the phone or the profile).
    Staff issue one (which links it here) or decline with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ISSUED = "issued", _("已出具")
        DECLINED = "declined", _("未出具")

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="certificate_requests",
                               verbose_name=_("志愿者"))
    period_start = models.DateField(_("服务时段起"))
    period_end = models.DateField(_("服务时段止"))
    note = models.TextField(_("说明"), blank=True)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    certificate = models.OneToOneField(Certificate, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="request", verbose_name=_("出具的证明"))
    decline_reason = models.TextField(_("不予出具的原因"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("处理人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("志愿服务证明申请")
        verbose_name_plural = _("志愿服务证明申请")
        constraints = [
            # One request waiting per person: a second click or a resent form cannot pile up requests.
            models.UniqueConstraint(fields=["person"], condition=Q(status="open"), name="certificate_request_one_open",
                                    violation_error_message=_("您已有一份待处理的申请。")),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="certificate_request_period_order"),
            models.CheckConstraint(
                condition=Q(status="open", certificate__isnull=True, decided_at__isnull=True)
                | Q(status="issued", certificate__isnull=False, decided_at__isnull=False)
                | (Q(status="declined", certificate__isnull=True, decided_at__isnull=False) & ~Q(decline_reason="")),
                name="certificate_request_outcome",
            ),
        ]
        indexes = [models.Index(fields=["status", "-requested_at"], name="certificate_request_status")]

    def __str__(self):
        return f"{self.person} · {self.period_start}–{self.period_end}"
