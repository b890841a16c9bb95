"""The public side of the problem list: the page a river-chief signboard's QR code opens (no login),
the tracking-code status page, and the signboard itself (QR code and printable sheet) for staff and
chiefs. docs/public_reports.md says what the public sees and what it never sees."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from riverwatch.client_address import client_address
from riverwatch.photos import PhotoError
from waterways.views import basemap_text

from . import public_selectors, public_throttle, services, signboard
from .models import Category, Source
from .public_forms import PublicReportForm, TrackingCodeForm, photo_too_large_message

# Room for the multipart boundaries and the form's text fields around the photo.
FORM_OVERHEAD_BYTES = 64 * 1024


def _not_found(request, heading, explanation):
    return render(request, "public/not_found.html", {"heading": heading, "explanation": explanation}, status=404)


def _waterway_not_found(request):
    return _not_found(request, _("找不到这条河流"),
                      _("二维码或地址可能不完整。请重新扫描河长公示牌上的二维码。"))


def _code_not_found(request):
    # The same page for a malformed and an unknown code: it tells nobody which codes exist.
    return _not_found(request, _("没有找到这个查询码"),
                      _("请核对后重新输入。查询码共 10 位，由大写字母和数字组成（不含 0、1、I、L、O）。"))


def _map_text():
    return {
        **basemap_text(),
        "location_gps": _("已用手机定位（误差约 %(m)s 米）。位置不对可以在地图上点选。"),
        "location_map": _("已在地图上选定位置。"),
        "gps_waiting": _("正在定位……也可以直接在地图上点选。"),
        "gps_denied": _("没有定位权限。请在地图上点一下问题所在的地方。"),
        "gps_failed": _("暂时无法定位。请在地图上点一下问题所在的地方。"),
        "gps_unsupported": _("这个浏览器不能定位。请在地图上点一下问题所在的地方。"),
        "photo_too_large": _("照片太大（%(size)s MB），上限 %(max)s MB。请换一张。"),
        "sending": _("正在提交……"),
    }


def _report_form_page(request, waterway, form, *, status=200, refusal="", retry_after=None):
    """The form, with what was typed (a file input cannot be filled in again). `refusal`: why the
    whole submission was turned away before its fields were looked at (too large, too often)."""
    response = render(request, "public/report.html", {
        "waterway": waterway,
        "form": form,
        "refusal": refusal,
        "categories": Category.choices,
        "line": public_selectors.waterway_line_lonlat(waterway),
        "map_text": _map_text(),
        "photo_max_bytes": settings.PHOTO_MAX_BYTES,
    }, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def report(request, code):
    """The size of the body is checked before anything reads it (the CSRF check reads the form), then
    the page runs with the usual CSRF protection."""
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.PHOTO_MAX_BYTES + FORM_OVERHEAD_BYTES:
            waterway = public_selectors.waterway_by_code(code)
            if waterway is None:
                return _waterway_not_found(request)
            return _report_form_page(request, waterway, PublicReportForm(), status=413,
                                     refusal=photo_too_large_message(length))
    return _report(request, code)


@csrf_protect
def _report(request, code):
    waterway = public_selectors.waterway_by_code(code)
    if waterway is None:
        return _waterway_not_found(request)
    if request.method != "POST":
        return _report_form_page(request, waterway, PublicReportForm())

    # Two file inputs (camera, album) share the name: the first one with a file is the photo.
    photo = next((upload for upload in request.FILES.getlist("photo") if upload.size), None)
    form = PublicReportForm(request.POST, photo=photo)
    address = client_address(request)
    # The throttle before the photo is decoded: a flood costs no image work. The number as typed
    # counts only once it is a valid one.
    phone = form.cleaned_data.get("phone", "") if form.is_valid() else ""
    wait = public_throttle.wait_seconds(address, phone)
    if wait:
        refusal = _("提交太频繁：同一网络或同一手机号每小时最多上报 %(limit)s 次，请约 %(minutes)s 分钟后再试。"
                    "你填写的内容已保留（照片需要重新选择）。") % {
            "limit": settings.PUBLIC_REPORTS_PER_HOUR, "minutes": -(-wait // 60)}
        return _report_form_page(request, waterway, form, status=429, refusal=refusal, retry_after=wait)
    if not form.is_valid():
        return _report_form_page(request, waterway, form, status=413 if form.is_too_large() else 400)

    new = services.NewProblem(category=form.cleaned_data["category"], observed_at=timezone.now(),
                              note=form.cleaned_data["note"], point=form.cleaned_data["point"])
    try:
        problem = services.report(by=None, source=Source.PUBLIC, new=new, contact_phone=phone,
                                  photos=[photo.read(settings.PHOTO_MAX_BYTES + 1)], tracking=True)
    except PhotoError as error:
        form.add_error(None, _("照片无法使用：%(reason)s 请换一张照片。") % {"reason": error})
        return _report_form_page(request, waterway, form, status=400)
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _report_form_page(request, waterway, form, status=400)
    public_throttle.record(address, phone)
    return redirect("public-report-thanks", code=problem.tracking_code)


@never_cache
@require_GET
def thanks(request, code):
    status = public_selectors.public_status(code)
    if status is None:
        return _code_not_found(request)
    status_url = request.build_absolute_uri(reverse("public-report-status", kwargs={"code": status.code}))
    return render(request, "public/thanks.html", {"status": status, "status_url": status_url})


@never_cache
@require_GET
def status_lookup(request):
    form = TrackingCodeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = public_selectors.normalise_tracking_code(form.cleaned_data["code"])
        if code is not None:
            return redirect("public-report-status", code=code)
        form.add_error("code", _("查询码共 10 位，由大写字母和数字组成（不含 0、1、I、L、O），请核对。"))
    return render(request, "public/status_lookup.html", {"form": form}, status=400 if form.is_bound else 200)


@never_cache
@require_GET
def status(request, code):
    found = public_selectors.public_status(code)
    if found is None:
        return _code_not_found(request)
    return render(request, "public/status.html", {"status": found})


# --- the signboard: for staff and chiefs ---

def _signboard_waterway(request, code):
    if not public_selectors.may_print_signboards(request.user):
        raise PermissionDenied(_("只有河长和河长办工作人员可以打印河长公示牌。"))
    return public_selectors.waterway_by_code(code)


def _report_url(request, waterway):
    return request.build_absolute_uri(reverse("public-report", kwargs={"code": waterway.code}))


@login_required
@require_GET
def signboard_png(request, code):
    waterway = _signboard_waterway(request, code)
    if waterway is None:
        return _waterway_not_found(request)
    response = HttpResponse(signboard.qr_png(_report_url(request, waterway)), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="qr-{waterway.code}.png"'
    return response


@login_required
@require_GET
def signboard_pdf(request, code):
    waterway = _signboard_waterway(request, code)
    if waterway is None:
        return _waterway_not_found(request)
    response = HttpResponse(signboard.signboard_pdf(waterway, _report_url(request, waterway)),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="signboard-{waterway.code}.pdf"'
    return response
