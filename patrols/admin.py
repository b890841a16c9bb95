"""Activities are written by the field API; here staff look at them and review them.

Nothing but the review is saved from an activity's page. Rejecting needs a reason for each
activity, so it is done on the activity's page; the list offers only "通过审核" in bulk.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.gis import forms as gis_forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from leaflet.admin import LeafletAdminWidget, LeafletGeoAdmin

from people.admin import PersonAdmin
from people.models import Person
from problems.models import Problem
from riverwatch.admin_helpers import ReadOnlyAdmin

from . import privacy, scopes, selectors, services
from .models import Activity, PatrolRule, Photo, ReachVisit, ServiceCampaign, ServiceRecord


class ReadOnlyMap(LeafletAdminWidget):
    """A Leaflet map showing a geometry, without drawing tools."""

    template_name = "leaflet/admin/widget.html"
    modifiable = False


class ActivityReviewForm(forms.ModelForm):
    # The maps are copies of track and point, not the model fields themselves: Django cannot check
    # the isvalid constraints on an empty geometry, and the geometry is never edited here anyway.
    track_map = gis_forms.MultiLineStringField(label=gettext_lazy("轨迹"), required=False, disabled=True, widget=ReadOnlyMap)
    point_map = gis_forms.PointField(label=gettext_lazy("位置"), required=False, disabled=True, widget=ReadOnlyMap)
    decision = forms.ChoiceField(
        label=gettext_lazy("审核结果"), required=False, widget=forms.RadioSelect,
        choices=[("", gettext_lazy("暂不审核")), ("verify", gettext_lazy("通过")), ("reject", gettext_lazy("驳回"))],
    )
    review_reason = forms.CharField(
        label=gettext_lazy("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy("驳回时必填，提交人会看到。"),
    )
    reviewer = None  # the logged-in user; set on the class ActivityAdmin.get_form builds for each request

    class Meta:
        model = Activity
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["track_map"] = self.instance.track
        self.initial["point_map"] = self.instance.point

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if not decision:
            return data
        if self.instance.status != Activity.Status.SUBMITTED:
            self.add_error("decision", _("这条记录已经审核过了。"))
        elif not scopes.may_review(self.reviewer, self.instance):
            self.add_error("decision", selectors.why_cannot_review(self.reviewer, self.instance))
        if decision == "reject" and not data.get("review_reason", "").strip():
            self.add_error("review_reason", _("驳回时请写明原因。"))
        return data


class ServiceRecordInline(admin.TabularInline):
    model = ServiceRecord
    fields = ["person", "role", "level", "hours"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("参与人员（服务记录）")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PhotoInline(admin.TabularInline):
    model = Photo
    fields = ["preview", "problem", "taken_at", "has_exif_point", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("problem", "uploaded_by")

    @admin.display(description=gettext_lazy("照片"))
    def preview(self, photo):
        if not photo.thumbnail:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" style="max-height:120px;max-width:160px"></a>',
            # The permission-checked view, never /media/: photos are not public files.
            reverse("activity-photo", args=[photo.activity_id, photo.pk, "full"]),
            reverse("activity-photo", args=[photo.activity_id, photo.pk, "thumb"]),
            _("活动照片"),
        )

    @admin.display(description=gettext_lazy("带位置信息"), boolean=True)
    def has_exif_point(self, photo):
        return photo.exif_point is not None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class UnsavedInlineFormSet(BaseInlineFormSet):
    """Rows shown, never saved. A review posted without them (from a page opened before this
    inline existed, or by a script) loses nothing, so it must not be refused for their absence."""

    def is_valid(self):
        return True


class ProblemReportInline(admin.TabularInline):
    """What the phone reported, as reported: a correction would disagree with its photos and the record."""

    model = Problem
    formset = UnsavedInlineFormSet
    fields = ["observed_at", "category", "note", "waterway", "position_m", "has_point", "photo_count", "client_uuid"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("现场问题")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("waterway").annotate(photo_count=Count("photos"))

    @admin.display(description=gettext_lazy("有位置"), boolean=True)
    def has_point(self, problem):
        return problem.point is not None

    @admin.display(description=gettext_lazy("照片数"))
    def photo_count(self, problem):
        return problem.photo_count

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _reasons(error):
    return _("；").join(error.messages) if isinstance(error, ValidationError) else str(error)


@admin.register(Activity)
class ActivityAdmin(LeafletGeoAdmin):
    form = ActivityReviewForm
    list_display = [
        "started_at", "kind", "waterway", "status", "distance_km", "participant_count", "submitted_by",
    ]
    list_filter = [
        "kind", "status", ("waterway", admin.RelatedOnlyFieldListFilter), "location_source",
        "off_network",
    ]
    search_fields = ["notes", "findings", "client_uuid"]
    list_select_related = ["waterway", "submitted_by"]
    date_hierarchy = "started_at"
    actions = ["verify_selected"]
    inlines = [ServiceRecordInline, ProblemReportInline, PhotoInline]
    readonly_fields = [
        "kind", "status", "submitted_by", "started_at", "ended_at", "received_at", "client_uuid",
        "location_source", "waterway", "waterway_position_m", "off_network", "distance_km", "duration_min",
        "track_quality", "debris_kg", "bags", "manholes_checked", "outfalls_checked", "findings", "notes",
        "compliance_reason", "reviewed_by", "reviewed_at", "review_note",
    ]

    @admin.display(description=gettext_lazy("考核说明"))
    def compliance_reason(self, activity):
        # Judged now, as on the activity's page and the compliance page.
        return selectors.compliance_of([activity])[activity.pk].note or _("不适用（不是巡河，或没有河长参与）")

    def get_fieldsets(self, request, obj=None):
        maps = [name for name, value in (("track_map", obj and obj.track), ("point_map", obj and obj.point)) if value]
        review = ["reviewed_by", "reviewed_at", "review_note"]
        if obj is not None and obj.status == Activity.Status.SUBMITTED:
            review = ["decision", "review_reason"]
        return [
            (None, {"fields": ["kind", "status", "submitted_by", "started_at", "ended_at", "received_at", "client_uuid"]}),
            (_("位置"), {"fields": [*maps, "location_source", "waterway", "waterway_position_m", "off_network",
                                   "distance_km", "duration_min", "track_quality"]}),
            (_("成果"), {"fields": ["debris_kg", "bags", "manholes_checked", "outfalls_checked", "findings", "notes"]}),
            (_("河长巡河考核"), {"fields": ["compliance_reason"]}),
            (_("审核"), {"fields": review}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.reviewer = request.user  # a fresh class per request, so this does not leak between users
        return form

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participant_count=Count("service_records"))

    @admin.display(description=gettext_lazy("里程（公里）"), ordering="distance_m")
    def distance_km(self, activity):
        return f"{activity.distance_km:.2f}"

    @admin.display(description=gettext_lazy("时长（分钟）"), ordering="duration_s")
    def duration_min(self, activity):
        return activity.duration_min

    @admin.display(description=gettext_lazy("参与人数"), ordering="participant_count")
    def participant_count(self, activity):
        return activity.participant_count

    def has_add_permission(self, request):
        return False  # activities come from the phones and the API, never typed in here

    def has_delete_permission(self, request, obj=None):
        return False  # a wrong record is rejected, which keeps the trail (points are reversed on it)

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        try:
            services.review_activity(
                activity=obj, reviewer=request.user, decision=decision, note=form.cleaned_data.get("review_reason", "")
            )
        except (PermissionDenied, ValidationError) as error:
            self.message_user(request, _("未能审核：%(reason)s") % {"reason": _reasons(error)}, messages.ERROR)

    @admin.action(description=gettext_lazy("通过审核"), permissions=["change"])
    def verify_selected(self, request, queryset):
        verified, refused = 0, []
        for activity in queryset.order_by("started_at", "id"):
            try:
                services.review_activity(activity=activity, reviewer=request.user, decision="verify")
            except (PermissionDenied, ValidationError) as error:
                refused.append(f"{activity}：{_reasons(error)}")
            else:
                verified += 1
        if verified:
            self.message_user(request, _("已通过 %(n)d 条活动。") % {"n": verified}, messages.SUCCESS)
        if refused:
            self.message_user(
                request, _("%(n)d 条未通过：%(reasons)s") % {"n": len(refused), "reasons": _("；").join(refused)},
                messages.WARNING,
            )


class PatrolRuleForm(forms.ModelForm):
    MONTHS = [(month, str(month)) for month in range(1, 13)]

    season_start_month = forms.TypedChoiceField(
        label=gettext_lazy("考核起始月"), choices=MONTHS, coerce=int,
        help_text=gettext_lazy("起始月大于结束月表示跨年，例如 11 月至次年 2 月；1 月至 12 月为全年。"),
    )
    season_end_month = forms.TypedChoiceField(
        label=gettext_lazy("考核结束月"), choices=MONTHS, coerce=int,
        help_text=gettext_lazy("周期只要有一天落在考核月份内，就要考核。"),
    )

    class Meta:
        model = PatrolRule
        fields = "__all__"
        # How the compliance page (/compliance/) reads each figure; saved changes apply at once, to past periods too.
        help_texts = {
            "period": gettext_lazy("每周为 ISO 周（周一至周日），每月、每季度为自然月、自然季度，均按北京时间。"),
            "required_count": gettext_lazy("每个考核周期至少要计入的巡河次数。"),
            "min_duration_min": gettext_lazy("一次巡河短于此时长不计入考核（仍算完成次数）。修改后在巡河考核页立即生效。"),
            "min_distance_m": gettext_lazy("一次巡河里程少于此数不计入考核；填 0 表示不要求里程。"),
        }


@admin.register(PatrolRule)
class PatrolRuleAdmin(admin.ModelAdmin):
    form = PatrolRuleForm
    list_display = [
        "level", "period", "required_count", "min_duration_min", "min_distance_m", "season_start_month",
        "season_end_month", "source",
    ]
    list_editable = [
        "period", "required_count", "min_duration_min", "min_distance_m", "season_start_month", "season_end_month",
        "source",
    ]


@admin.register(ServiceRecord)
# Service records and reach visits are written by the services as activities arrive: an edit here
# would disagree with the activity.
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ["person", "activity", "activity_started_at", "activity_status", "role", "level", "hours"]
    list_filter = ["role", "activity__status", "activity__kind"]
    search_fields = ["person__name", "person__phone"]
    list_select_related = ["person", "activity"]

    @admin.display(description=gettext_lazy("活动时间"), ordering="activity__started_at")
    def activity_started_at(self, record):
        return record.activity.started_at

    @admin.display(description=gettext_lazy("活动状态"), ordering="activity__status")
    def activity_status(self, record):
        return record.activity.get_status_display()

    def changelist_view(self, request, extra_context=None):
        # The count on this page is the one the target counts; say what it counts.
        extra_context = {**(extra_context or {}), "subtitle": selectors.service_record_definition()}
        return super().changelist_view(request, extra_context)


@admin.register(ReachVisit)
class ReachVisitAdmin(ReadOnlyAdmin):
    list_display = ["reach", "activity", "visited_at", "covered_percent"]
    list_filter = ["reach__waterway"]
    search_fields = ["reach__waterway__code", "reach__waterway__name"]
    list_select_related = ["reach__waterway", "activity"]
    date_hierarchy = "visited_at"

    @admin.display(description=gettext_lazy("覆盖比例"), ordering="covered_fraction")
    def covered_percent(self, visit):
        return f"{visit.covered_fraction:.0%}"


@admin.register(ServiceCampaign)
class ServiceCampaignAdmin(admin.ModelAdmin):
    """The office sets each target period here; the header, the phone and the reports follow it."""

    list_display = ["name", "target", "start", "end", "progress"]
    ordering = ["-start"]

    @admin.display(description=gettext_lazy("进度"))
    def progress(self, campaign):
        totals = selectors.service_record_totals(start=campaign.start, end=campaign.end)
        return _("%(count)s 条（%(percent).1f%%）") % {"count": totals["total"],
                                                      "percent": 100 * totals["total"] / campaign.target}


# --- People: a copy of a person's data for them (China's Personal Information Protection Law) -------
# The export reads activities, which people may not import: the action is added here, to a subclass
# of people's own PersonAdmin registered in its place (people.admin keeps every other behaviour).

class PersonWithExportAdmin(PersonAdmin):
    actions = [*PersonAdmin.actions, "export_personal_data"]

    @admin.action(description=gettext_lazy("导出个人数据"), permissions=["view"])
    def export_personal_data(self, request, queryset):
        """A zip of data.json and tracks.gpx (privacy.export_zip) for one person; for several, a
        folder each. Recorded in the person's history: who exported it, and when."""
        people = list(queryset.order_by("pk"))
        if len(people) == 1:
            content, filename = privacy.export_zip(people[0], absolute_url=request.build_absolute_uri), privacy.export_filename(people[0])
        else:
            content, filename = privacy.export_zip_many(people, absolute_url=request.build_absolute_uri), privacy.export_filename()
        for person in people:
            self.log_change(request, person, _("导出个人数据"))
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


admin.site.unregister(Person)
admin.site.register(Person, PersonWithExportAdmin)
