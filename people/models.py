"""Who takes part: logins, people (not everyone has a login), teams and river-chief assignments."""

import re
import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from riverwatch.text import without_invisible

from .identity import TAIL_PATTERN, IdType


class User(AbstractUser):
    """A login. Most field work is recorded against a Person; a User is linked to at most one."""

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def display_name(self):
        """The person's name where the login has one, else the login's own name."""
        person = getattr(self, "person", None)
        return (person.name if person else "") or self.get_full_name() or self.username


class Role(models.TextChoices):
    VOLUNTEER = "volunteer", _("志愿者")
    POST_WORKER = "post_worker", _("公益岗位人员")
    DEPUTY = "deputy", _("人大代表")
    CHIEF = "chief", _("河长")
    STAFF = "staff", _("工作人员")


class Level(models.TextChoices):
    """Deputies sit at one of five levels, river chiefs at one of three; others have none."""

    NATIONAL = "national", _("全国")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")
    DISTRICT = "district", _("区级")
    TOWNSHIP = "township", _("乡镇级")
    VILLAGE = "village", _("村级")


# A phone as stored: digits, optionally a leading +. normalise_phone() makes one of what people type.
PHONE_PATTERN = r"^\+?[0-9]{5,19}$"
# A volunteer number as 全国志愿服务信息系统 and the provincial systems print them: letters, digits, dashes.
VOLUNTEER_NUMBER_PATTERN = r"^[0-9A-Za-z-]{1,32}$"


def normalise_phone(text):
    """ "139-0000 0001", "（139）00000001" and full-width digits all become "13900000001"."""
    return re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", text or "").strip())


DEPUTY_LEVELS = [Level.NATIONAL, Level.PROVINCIAL, Level.MUNICIPAL, Level.DISTRICT, Level.TOWNSHIP]
CHIEF_LEVELS = [Level.DISTRICT, Level.TOWNSHIP, Level.VILLAGE]
# Higher outranks lower: a chief oversees the chiefs of lower levels on their waterways and the
# tributaries below them. SQL gets the ranks as this list (array_position of a level in it).
CHIEF_LEVELS_LOW_TO_HIGH = [Level.VILLAGE, Level.TOWNSHIP, Level.DISTRICT]


# How demo data is marked (demo/planner.py writes it; reports say when the database holds any).
DEMO_NOTE = "[演示数据]"


def chief_rank(level) -> int:
    """1 for a village chief, 2 township, 3 district; 0 for anything else."""
    return CHIEF_LEVELS_LOW_TO_HIGH.index(level) + 1 if level in CHIEF_LEVELS_LOW_TO_HIGH else 0


class Person(models.Model):
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(
        _("电话"), max_length=20, blank=True, help_text=_("仅工作人员和本人可见。")
    )
    role = models.CharField(_("身份"), max_length=16, choices=Role.choices)
    level = models.CharField(
        _("级别"), max_length=16, choices=Level.choices, blank=True,
        help_text=_("人大代表：全国/省/市/区/乡镇级；河长：区/乡镇/村级；其他身份留空。"),
    )
    town = models.ForeignKey(
        "waterways.Town", null=True, blank=True, on_delete=models.SET_NULL, related_name="people", verbose_name=_("乡镇街道")
    )
    village = models.ForeignKey(
        "waterways.Village", null=True, blank=True, on_delete=models.SET_NULL, related_name="people", verbose_name=_("村（社区）")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person",
        verbose_name=_("登录账号"),
    )
    is_active = models.BooleanField(_("在册"), default=True)
    note = models.TextField(_("备注"), blank=True)
    # For volunteer service certificates (certificates/). Only the last four characters of the ID number
    # are kept: the admin takes the whole number, checks it (people/identity.py) and drops the rest.
    id_type = models.CharField(_("证件类型"), max_length=32, choices=IdType.choices, blank=True)
    id_tail = models.CharField(
        _("证件号码后四位"), max_length=4, blank=True, editable=False,
        help_text=_("只保存证件号码的后四位，完整号码不保存。"),
    )
    volunteer_number = models.CharField(
        _("志愿者编号"), max_length=32, blank=True,
        help_text=_("全国志愿服务信息系统（或省级平台）中的志愿者编号，选填。"),
    )
    board_initials_only = models.BooleanField(
        default=False, verbose_name=_("公开榜单只显示姓名首字母"),
        help_text=_("选中后，公开的积分榜和表彰名单上只显示姓名首字母（拼音首字母，如“张志愿”显示为“ZZY”），不显示全名。本人可在“我的记录”页面修改。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role=Role.DEPUTY, level__in=DEPUTY_LEVELS)
                    | Q(role=Role.CHIEF, level__in=CHIEF_LEVELS)
                    | (~Q(role__in=[Role.DEPUTY, Role.CHIEF]) & Q(level=""))
                ),
                name="person_level_matches_role",
            ),
            # Stored without spaces or dashes (clean() strips them), so one number has one spelling.
            models.CheckConstraint(condition=Q(phone="") | Q(phone__regex=PHONE_PATTERN), name="person_phone_format"),
            # The office's roster identifies people by phone; two people never share one.
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="person_unique_phone"),
            # An ID's last four characters mean nothing without its type, and a type without them nothing.
            models.CheckConstraint(
                condition=Q(id_type="", id_tail="") | (~Q(id_type="") & Q(id_tail__regex=TAIL_PATTERN)),
                name="person_id_tail_with_type",
                violation_error_message=_("选择证件类型时须输入证件号码（只保存后四位）；不选类型则不保存号码。"),
            ),
            models.CheckConstraint(
                condition=Q(volunteer_number="") | Q(volunteer_number__regex=VOLUNTEER_NUMBER_PATTERN),
                name="person_volunteer_number_format",
                violation_error_message=_("志愿者编号只能包含字母、数字和短横线，最多 32 位。"),
            ),
        ]
        indexes = [models.Index(fields=["role", "level"], name="person_role_level")]

    def __str__(self):
        return self.name

    def clean(self):
        # One number, one spelling: matching and uniqueness depend on it.
        self.phone = normalise_phone(self.phone)
        self.volunteer_number = unicodedata.normalize("NFKC", self.volunteer_number or "").strip()
        if self.volunteer_number and not re.fullmatch(VOLUNTEER_NUMBER_PATTERN, self.volunteer_number):
            raise ValidationError({"volunteer_number": _("志愿者编号只能包含字母、数字和短横线，最多 32 位。")})
        if not self.id_type:
            self.id_tail = ""  # no document, no number
        # Invisible characters in a name allow spoofing: two names that look alike, or one that
        # reverses the text after it.
        self.name = without_invisible(self.name)


class Team(models.Model):
    class Kind(models.TextChoices):
        DEPUTY_GROUP = "deputy_group", _("人大代表小组")
        VOLUNTEER = "volunteer", _("志愿服务队")
        VILLAGE = "village", _("村级巡护队")

    name = models.CharField(_("名称"), max_length=64, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    town = models.ForeignKey(
        "waterways.Town", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams", verbose_name=_("乡镇街道")
    )
    village = models.ForeignKey(
        "waterways.Village", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams", verbose_name=_("村（社区）")
    )
    members = models.ManyToManyField(Person, blank=True, related_name="teams", verbose_name=_("成员"))
    leaders = models.ManyToManyField(
        Person, blank=True, related_name="led_teams", verbose_name=_("队长"), help_text=_("队长可以审核本队成员的活动。")
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("队伍")
        verbose_name_plural = _("队伍")

    def __str__(self):
        return self.name

    def clean(self):
        self.name = without_invisible(self.name)


class ChiefAssignment(models.Model):
    """A person is river chief of a waterway at a level, from `since` until `until` (open-ended if empty)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="chief_assignments", verbose_name=_("河长"))
    waterway = models.ForeignKey(
        "waterways.Waterway", on_delete=models.CASCADE, related_name="chief_assignments", verbose_name=_("河流/支沟")
    )
    level = models.CharField(_("河长级别"), max_length=16, choices=[(level.value, level.label) for level in CHIEF_LEVELS])
    since = models.DateField(_("任职起"))
    until = models.DateField(_("任职止"), null=True, blank=True)

    class Meta:
        ordering = ["waterway_id", "level", "-since"]
        verbose_name = _("河长任命")
        verbose_name_plural = _("河长任命")
        constraints = [
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(until__gte=F("since")), name="chief_assignment_dates"),
            models.CheckConstraint(condition=Q(level__in=CHIEF_LEVELS), name="chief_assignment_level"),
            models.UniqueConstraint(fields=["person", "waterway", "since"], name="chief_assignment_unique_start"),
        ]

    def __str__(self):
        return f"{self.person} · {self.waterway} ({self.get_level_display()})"
