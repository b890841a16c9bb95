from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay

WEEKDAYS = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["day", "weekday", "name", "kind"]
    list_filter = ["kind", "name"]
    date_hierarchy = "day"
    search_fields = ["name"]

    @admin.display(description=_("星期"))
    def weekday(self, calendar_day):
        # A make-up working day is always a Saturday or Sunday: the column lets staff check at a glance.
        return WEEKDAYS[calendar_day.day.weekday()]
