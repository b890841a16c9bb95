"""The closed-loop problem list (问题清单 + 闭环). So far: the working-day calendar its deadlines count in."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday week: a public holiday (放假, also when it falls on a
    weekday) or a weekend day worked in exchange (调休上班). The State Council publishes each year's in
    November; staff enter the next year's here when it is out."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    day = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=32, help_text=_("如：春节、国庆节"))

    class Meta:
        ordering = ["day"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.name} {self.get_kind_display()}"

    def clean(self):
        if self.kind == self.Kind.WORKDAY and self.day and self.day.weekday() < 5:
            raise ValidationError({"kind": _("周一至周五本来就是工作日；“调休上班”只用于周六、周日。")})
