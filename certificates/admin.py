"""The office's settings for certificates (one row: who issues, the seal, the star thresholds), and
read-only lists of certificates and requests (issued and answered on /certificates/)."""

import base64

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from people.identity import masked_id
from riverwatch.admin_helpers import ReadOnlyAdmin

from . import selectors, services
from .models import SETTINGS_ID, Certificate, CertificateRequest, IssuerSettings


class IssuerSettingsForm(forms.ModelForm):
    seal_upload = forms.FileField(
        label=_("上传印章图片"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png"}),
        help_text=_("PNG 格式，透明背景，最大 2 MB。保存时重新编码，去掉图片里的一切附加信息。"
                    "更换印章不影响已出具的证明（它们保留出具时的印章）。"),
    )
    remove_seal = forms.BooleanField(label=_("不再使用印章图片"), required=False)

    class Meta:
        model = IssuerSettings
        fields = ["organisation_name", "number_prefix", "responsible_person", "handler", "contact_phone",
                  "star_1_hours", "star_2_hours", "star_3_hours", "star_4_hours", "star_5_hours"]

    def clean_seal_upload(self):
        upload = self.cleaned_data.get("seal_upload")
        if not upload:
            return None
        if upload.size > services.SEAL_MAX_BYTES:
            raise ValidationError(_("印章图片太大，上限 2 MB。"))
        data = upload.read()
        services.seal_png(data)  # refuses what is not a PNG, in words, before anything is saved
        return data


@admin.register(IssuerSettings)
class IssuerSettingsAdmin(admin.ModelAdmin):
    form = IssuerSettingsForm
    readonly_fields = ["seal_preview", "updated_at"]
    fieldsets = [
        (_("出具单位"), {
            "fields": ["organisation_name", "number_prefix", "responsible_person", "handler", "contact_phone"],
            "description": _("打印在每一份志愿服务证明上。负责人和联系电话填写后才能出具证明。"),
        }),
        (_("印章"), {"fields": ["seal_preview", "seal_upload", "remove_seal"]}),
        (_("星级志愿者（累计已审核服务时长）"), {
            "fields": ["star_1_hours", "star_2_hours", "star_3_hours", "star_4_hours", "star_5_hours"],
            "description": _("默认按福建省标准：一星 100 小时、二星 300、三星 600、四星 1000、五星 1500。"),
        }),
        (None, {"fields": ["updated_at"]}),
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not IssuerSettings.objects.filter(pk=SETTINGS_ID).exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list is the row (or the form that makes it).
        if IssuerSettings.objects.filter(pk=SETTINGS_ID).exists():
            return redirect(reverse("admin:certificates_issuersettings_change", args=[SETTINGS_ID]))
        return redirect(reverse("admin:certificates_issuersettings_add"))

    def get_changeform_initial_data(self, request):
        # The add form starts from the defaults the pages already use.
        issuer = selectors.issuer_settings()
        return {name: getattr(issuer, name) for name in IssuerSettingsForm.Meta.fields}

    @admin.display(description=_("当前印章"))
    def seal_preview(self, issuer):
        if not issuer.seal or not default_storage.exists(issuer.seal):
            return _("未上传")
        with default_storage.open(issuer.seal, "rb") as file:
            data = base64.b64encode(file.read()).decode("ascii")
        # A data: address (the CSP allows it for images): the file itself is never served from /media/.
        return format_html('<img src="data:image/png;base64,{}" alt="" width="120" height="120">', data)

    def save_model(self, request, obj, form, change):
        services.save_settings(issuer=obj, seal=form.cleaned_data.get("seal_upload"),
                               remove_seal=form.cleaned_data.get("remove_seal", False))

    def response_add(self, request, obj, post_url_continue=None):
        return redirect(reverse("admin:certificates_issuersettings_change", args=[SETTINGS_ID]))


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """Issued on /certificates/; here only looked up."""

    list_display = ["number", "name", "period_start", "period_end", "hours", "issued_on", "handler"]
    list_filter = ["year"]
    search_fields = ["number", "name"]
    exclude = ["id_tail", "counted_records", "set_apart_records", "seal"]
    readonly_fields = ["masked_id"]

    @admin.display(description=_("证件号码"))
    def masked_id(self, certificate):
        return masked_id(certificate.id_type, certificate.id_tail) or "—"


@admin.register(CertificateRequest)
class CertificateRequestAdmin(ReadOnlyAdmin):
    """Answered on /certificates/; here only looked up."""

    list_display = ["person", "period_start", "period_end", "status", "requested_at", "certificate"]
    list_filter = ["status"]
    search_fields = ["person__name"]
    list_select_related = ["person", "certificate"]
