from django.contrib import admin

from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["day", "name", "kind"]
    list_filter = ["kind", "name"]
    date_hierarchy = "day"
    search_fields = ["name"]
