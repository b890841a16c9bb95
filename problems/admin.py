from django.contrib import admin
from django.contrib.gis import admin as gis_admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, CategorySetting, FollowUp, Problem, ProblemEvent, ResponsibleUnit

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


@admin.register(ResponsibleUnit)
class ResponsibleUnitAdmin(gis_admin.GISModelAdmin):
    list_display = ["name", "kind", "town", "village", "supervisor", "member_count", "is_active"]
    list_filter = ["kind", "is_active", "town"]
    search_fields = ["name"]
    autocomplete_fields = ["members", "supervisor"]
    raw_id_fields = ["village"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(members_n=Count("members"))

    @admin.display(description=_("成员数"), ordering="members_n")
    def member_count(self, unit):
        return unit.members_n


@admin.register(CategorySetting)
class CategorySettingAdmin(admin.ModelAdmin):
    list_display = ["category", "deadline_days", "default_unit", "route_by_place"]
    list_editable = ["deadline_days", "default_unit", "route_by_place"]
    fields = ["category", "deadline_days", "default_unit", "route_by_place"]

    def get_readonly_fields(self, request, obj=None):
        return ["category"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # every category the phone sends needs its deadline


class ProblemEventInline(admin.TabularInline):
    """The record, as it happened: read here, never edited (the database refuses it anyway)."""

    model = ProblemEvent
    fields = ["at", "actor_name", "action", "from_state", "to_state", "note", "unit", "deadline"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(gis_admin.GISModelAdmin):
    """Read-only: every change of state is an act on the problem's page, by a named person, with a note."""

    list_display = ["id", "category", "source", "state", "ending", "unit", "deadline", "waterway", "observed_at"]
    list_filter = ["state", "ending", "category", "source", "unit"]
    search_fields = ["note", "tracking_code"]
    date_hierarchy = "observed_at"
    inlines = [ProblemEventInline]
    list_select_related = ["unit", "waterway"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Problem._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["problem", "quarter", "due", "done_at", "passed"]
    list_filter = ["quarter", "passed"]
    readonly_fields = ["problem", "quarter", "due", "done_at", "done_by", "passed", "note"]
