from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from . import services
from .models import District, Reach, Station, Town, Village, Waterway


@admin.register(Waterway)
class WaterwayAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "kind", "parent", "town", "length_km", "accuracy"]
    list_filter = ["kind", "accuracy", "town"]
    search_fields = ["code", "name", "name_pinyin"]
    list_select_related = ["parent", "town"]
    autocomplete_fields = ["parent", "town", "village"]
    readonly_fields = ["length_m", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "name_pinyin", "kind", "parent", "town", "village"]}),
        (_("出处与精度"), {"fields": ["accuracy", "source", "length_m", "created_at", "updated_at"]}),
        (_("河道中心线（从源头画到河口）"), {"fields": ["geom"]}),
    ]

    @admin.display(description=_("长度（公里）"), ordering="length_m")
    def length_km(self, waterway):
        return f"{waterway.length_km:.2f}"

    def save_model(self, request, obj, form, change):
        services.save_waterway(waterway=obj, changed_fields=form.changed_data)


@admin.register(Station)
class StationAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "kind", "town", "village", "accuracy"]
    list_filter = ["kind", "town", "accuracy"]
    search_fields = ["code", "name", "address"]
    autocomplete_fields = ["town", "village"]


@admin.register(District)
class DistrictAdmin(LeafletGeoAdmin):
    list_display = ["name", "adcode", "accuracy"]


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "town"]
    list_filter = ["town"]
    search_fields = ["code", "name"]


@admin.register(Reach)
class ReachAdmin(LeafletGeoAdmin):
    """Reaches are cut by rebuild_reaches; shown read-only so nobody edits one by hand."""

    list_display = ["waterway", "seq", "start_m", "end_m"]
    list_filter = ["waterway__kind"]
    search_fields = ["waterway__code", "waterway__name"]
    list_select_related = ["waterway"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
