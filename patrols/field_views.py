"""The phone pages (a PWA under /m/): home, record a patrol, log a cleanup, report a problem, my history,
my tasks (a responsible unit's problems to start and resolve), plus the web app manifest and the service
worker that keeps them working without a connection.

The pages are a shell that is the same for every user: what is personal (name, counts, teammates,
history) comes from the field API and is cached on the phone, so a cached page is never someone else's."""

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from problems.models import Action as ProblemAction
from problems.models import Category as ProblemCategory
from waterways.views import basemap_text

from .models import Activity

SHELL_VERSION_HEADER = "X-RiverWatch-Shell"
SCREENS = ("field-home", "field-patrol", "field-cleanup", "field-problem", "field-history", "field-tasks")

# Everything a screen needs to start with no connection. Leaflet's own files come from django-leaflet.
SHELL_STATIC = (
    "field/field.css",
    "field/page.js",
    "field/common.js",
    "field/store.js",
    "field/outbox.js",
    "field/recorder.js",
    "field/fieldmap.js",
    "field/photos.js",
    "field/location.js",
    "field/formkit.js",
    "field/home.js",
    "field/patrol.js",
    "field/cleanup.js",
    "field/problem.js",
    "field/history.js",
    "field/tasks.js",
    "field/browser-check.js",
    "field/old-browser.js",
    "js/basemap.js",
    "js/util.js",
    "css/kinds.css",
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "leaflet/images/layers.png",
    "leaflet/images/layers-2x.png",
    "field/icons/icon-192.png",
    "field/icons/icon-512.png",
    "field/icons/icon-maskable-512.png",
    "img/favicon.svg",
)


def field_text():
    """Every word the phone scripts show, translated here so the scripts stay language-free."""
    return {
        **basemap_text(),
        "online": _("在线"),
        "offline": _("离线"),
        "queue_waiting": _("%(n)s 条待发送"),
        "queue_failed": _("%(n)s 条发送失败"),
        "queue_clear": _("全部已发送"),
        "syncing": _("正在发送…"),
        "status_waiting": _("等待发送"),
        "status_sending": _("正在发送"),
        "status_sent": _("已发送"),
        "status_failed": _("发送失败"),
        "retry_later": _("网络不通，联网后自动重发（已尝试 %(n)s 次）"),
        "server_busy": _("服务器暂时无法处理（HTTP %(code)s），稍后自动重发"),
        "login_expired": _("登录已过期：重新登录后自动发送，记录不会丢失。"),
        "login_link": _("去登录"),
        "login_needed": _("请重新登录"),
        "photo_failed": _("照片未能上传：%(reason)s"),
        "photos_pending": _("还有 %(n)s 张照片待上传"),
        "delete": _("删除"),
        "download": _("存为文件"),
        "other_tab": _("巡河正在另一个窗口里记录。请回到那个窗口，或关掉它后这里会接着记录。"),
        "previous_user_patrol": _("上一位用户未结束的巡河已保存，等他登录后自动发送。"),
        "too_many_markers": _("一次巡河最多标记 %(max)s 个问题。"),
        "retry": _("重试"),
        "confirm_delete": _("删除这条未发送的记录？删除后无法恢复。"),
        "cancel": _("取消"),
        "confirm": _("确定"),
        "saved_offline": _("已保存在手机上，联网后自动发送。"),
        "saved_sent": _("已保存并发送。"),
        "km": _("公里"),
        "m": _("米"),
        "minutes": _("分钟"),
        "kg": _("公斤"),
        "bags": _("袋"),
        "gps_waiting": _("正在定位…"),
        "gps_ok": _("定位精度 ±%(m)s 米"),
        "gps_poor": _("定位精度差（±%(m)s 米），已舍弃该点"),
        "gps_denied": _("没有定位权限：请在浏览器设置中允许本网站使用位置。"),
        "gps_unavailable": _("暂时收不到定位信号，继续记录，恢复后另起一段。"),
        "gps_unsupported": _("这台手机的浏览器不支持定位。"),
        "dropped_fixes": _("已舍弃 %(n)s 个精度差的定位点"),
        "segments": pgettext("track segments on the phone", "%(n)s 段"),
        "wake_on": _("屏幕常亮已开启"),
        "wake_off": _("屏幕常亮不可用：请把手机设为巡河时不锁屏"),
        "resumed": _("已恢复 %(time)s 开始的巡河，中断期间的轨迹另起一段。"),
        "patrol_idle": _("准备开始"),
        "patrol_recording": _("正在记录"),
        "patrol_paused": _("已暂停"),
        "start": _("开始巡河"),
        "pause": _("暂停"),
        "resume": _("继续"),
        "stop": _("结束"),
        "stop_title": _("结束本次巡河？"),
        "stop_body": _("里程 %(km)s 公里，用时 %(minutes)s 分钟。保存后自动发送。"),
        "stop_save": _("保存并提交"),
        "stop_continue": _("继续巡河"),
        "short_track": _("轨迹不足两个定位点，将只记录位置。"),
        "note_added": _("备注已记下"),
        "note_title": _("添加备注"),
        "notes_count": _("%(n)s 条备注"),
        "marker_title": _("标记问题"),
        "photo_added": _("照片已保存（%(n)s 张）"),
        "marker_added": _("问题已标记"),
        "need_fix": _("还没有定位，稍后再标记。"),
        "need_category": _("请选择问题类型。"),
        "need_location": _("请先定位，或在地图上点选位置。"),
        "location_gps": _("已用手机定位（±%(m)s 米）"),
        "location_map": _("已在地图上选点"),
        "bad_times": _("结束时间要晚于开始时间。"),
        "too_long": _("一次活动最长 %(hours)s 小时。"),
        "future_time": _("时间不能晚于现在。"),
        "photo_too_big": _("照片太大（%(size)s MB），上限 %(max)s MB。"),
        "photo_not_image": _("只能上传照片（JPEG、PNG 或 WebP）。"),
        "photo_remove": _("移除照片"),
        "no_teammates": _("你还没有加入队伍，或队伍里只有你。"),
        "teammates_offline": _("离线：显示上次联网时的队友名单。"),
        "history_offline": _("离线：显示上次联网时的记录。"),
        "history_load_failed": _("暂时取不到服务器上的记录。"),
        "review_note": _("审核意见：%(note)s"),
        "problems_count": _("%(n)s 个问题"),
        "photos_count": _("%(n)s 张照片"),
        "view": _("查看"),
        "today_none": _("今天还没有记录。"),
        "today_summary": _("今天已记录 %(n)s 次，共 %(km)s 公里。"),
        "patrol_running": _("巡河进行中，已用时 %(minutes)s 分钟"),
        "continue_patrol": _("继续巡河"),
        "me_offline": _("离线：显示上次联网时的数据。"),
        "mini_stats": _("今年服务记录 %(year)s 条 · 积分 %(points)s"),
        "district_running": _("全区服务记录 %(count)s / %(target)s"),
        "district_year": _("全区 %(year)s 年服务记录 %(n)s 条"),
        "district_last": _("上期目标（%(name)s）：%(count)s / %(target)s 条，完成 %(percent)s％"),
        "district_none": _("河长办还没有设定服务记录目标。"),
        "me_unknown": _("登录后显示你的服务记录。"),
        # My points (积分制): the points app's answer, kept on the phone like "me".
        "points_offline": _("离线：显示上次联网时的积分。"),
        "points_load_failed": _("暂时取不到积分，请联网后再试。"),
        "points_pending": _("待审核 %(n)s 分"),
        "points_totals": _("累计获得 %(earned)s 分 · 已兑换 %(redeemed)s 分"),
        "points_none": _("还没有积分。活动审核通过、上报的问题被受理后就有积分。"),
        "install": _("安装到桌面"),
        "storage_failed": _("手机存储失败：%(reason)s。记录没有保存，请截图联系管理员。"),
        # My tasks (我的待办) and the moves a unit member makes on them.
        "tasks_offline": _("离线：显示上次联网时的待办。"),
        "tasks_load_failed": _("暂时取不到待办，请联网后再试。"),
        "supervised": _("督办"),
        "no_place": _("位置未定"),
        "days_left": pgettext("phone: a count the phone fills in", "剩 %(n)s 天"),
        "due_today": _("今天到期"),
        "days_overdue": pgettext("phone: a count the phone fills in", "逾期 %(n)s 天"),
        "show_place": _("位置"),
        "details": _("详情"),
        "close": _("关闭"),
        "task_queued": _("%(action)s · 待发送"),
        "task_sending": _("%(action)s · 正在发送"),
        "task_failed": _("%(action)s · 发送失败：%(reason)s"),
        "task_retry_hint": _("到“记录”页重试或删除。"),
        "queued_badge": _("待发送"),
        "failed_badge": _("发送失败"),
        "start_queued": _("已记下“开始处理”，联网后自动发送。"),
        "resolve_title": _("办结 #%(id)s %(category)s"),
        "need_note": _("请填写处理情况。"),
        "need_photo": _("办结须附至少一张现场照片。"),
        "tasks_count": pgettext("phone: a count the phone fills in", "%(n)s 件待办"),
        "tasks_count_overdue": _("%(n)s 件待办，其中 %(overdue)s 件逾期"),
        "tasks_none": _("暂无待办"),
        "duplicate_title": _("附近%(days)s天内已有同类问题"),
        "duplicate_body": _("%(metres)s 米内已有同一类别、仍在办理的问题。可能已经有人上报过："),
        "duplicate_row": _("#%(id)s %(category)s · %(state)s · 约 %(metres)s 米 · %(day)s 发现"),
        "duplicate_send": _("仍然上报"),
        "duplicate_skip": _("已报过，不上报"),
        "duplicate_skipped": _("没有重复上报：附近的同类问题 #%(id)s 已在办理中。"),
        "actions": {value: str(label) for value, label in ProblemAction.choices},
        "kinds": {value: str(label) for value, label in Activity.Kind.choices},
        "categories": {value: str(label) for value, label in ProblemCategory.choices},
    }


def field_config():
    """Limits the phone applies before sending, the same ones the server applies after."""
    return {
        "gps_max_accuracy_m": settings.GPS_MAX_ACCURACY_M,
        "track_gap_seconds": settings.TRACK_GAP_SECONDS,
        "track_jump_m": settings.TRACK_JUMP_M,
        "activity_max_hours": settings.ACTIVITY_MAX_HOURS,
        "photo_max_bytes": settings.PHOTO_MAX_BYTES,
        # Photos are shrunk on the phone to what the server keeps anyway: less to send on one bar.
        "photo_max_side_px": 2048,
        # The phone asks for duplicates within these (problems.selectors.possible_duplicates), to word the question.
        "duplicate_days": settings.PROBLEM_DUPLICATE_DAYS,
        "duplicate_distance_m": settings.PROBLEM_DUPLICATE_DISTANCE_M,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "time_zone": settings.TIME_ZONE,  # times on screen are the district's, as on the desk pages
        "urls": {
            "me": reverse("api-field-me"),
            # The points app's URL by name: the phone asks it directly, patrols never imports points.
            "points": reverse("api-points-me"),
            "history": reverse("api-field-history"),
            "teammates": reverse("api-people") + "?teammates=1",
            "activities": reverse("api-activities"),
            "photos": reverse("api-activity-photos", args=[0]),
            "waterways": reverse("api-waterways"),
            "district": reverse("api-district"),
            "login": reverse("login"),
            "activity": reverse("activity-detail", args=[0]),
            "sw": reverse("field-sw"),
            "home": reverse("field-home"),
            "tasks": reverse("api-problem-tasks"),
            "tasks_screen": reverse("field-tasks"),
            "history_screen": reverse("field-history"),
            "problem_api": reverse("api-problem", args=[0]),
            "problem_photos": reverse("api-problem-photos", args=[0]),
            "problem_actions": reverse("api-problem-actions", args=[0]),
            "problem_duplicates": reverse("api-problem-duplicates"),
            "problem": reverse("problem-detail", args=[0]),
        },
    }


def _screen(template, title):
    @login_required
    @ensure_csrf_cookie  # the outbox reads the CSRF cookie when it sends, perhaps days later
    @require_GET
    def view(request):
        response = render(request, template, {
            "screen_title": title(),
            "field_text": field_text(),
            "field_config": field_config(),
            "tianditu_key": settings.TIANDITU_KEY,
            "activity_kinds": [(v, label) for v, label in Activity.Kind.choices if v not in ("patrol", "problem_report")],
            "problem_categories": ProblemCategory.choices,
        })
        # The service worker keeps a screen only if it belongs to its own set of cached files: a
        # screen from a newer deploy would look for scripts an older cache does not have.
        response[SHELL_VERSION_HEADER] = _worker_config()["version"]
        return response

    return view


home = _screen("field/home.html", lambda: _("河湖巡护"))
patrol = _screen("field/patrol.html", lambda: _("巡河"))
cleanup = _screen("field/cleanup.html", lambda: _("记录活动"))
problem = _screen("field/problem.html", lambda: _("问题上报"))
history = _screen("field/history.html", lambda: _("我的记录"))
tasks = _screen("field/tasks.html", lambda: _("我的待办"))


def _shell_version():
    """Changes whenever a cached file does, so phones drop the old shell. In production the hashed
    static names already change with the content; without hashing (development) the contents count."""
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        return ""
    digest = hashlib.sha256()
    for path in SHELL_STATIC:
        found = finders.find(path)
        if found:
            with open(found, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


def _static_prefix():
    url = settings.STATIC_URL
    return url if url.startswith(("/", "http://", "https://")) else "/" + url


@require_GET
@never_cache
def service_worker(request):
    """Served from /m/ so that its scope is the phone pages and nothing else."""
    config = _worker_config()
    return render(request, "field/sw.js", {"version": config["version"], "config": json.dumps(config)},
                  content_type="text/javascript; charset=utf-8")


def _worker_config():
    screens = [reverse(name) for name in SCREENS]
    precache = [static(path) for path in SHELL_STATIC] + [reverse("field-manifest")]
    data = [reverse("api-waterways"), reverse("api-district")]
    version = hashlib.sha256(
        json.dumps([_shell_version(), screens, precache, data, settings.LANGUAGE_CODE]).encode()
    ).hexdigest()[:16]
    return {
        "version": version, "screens": screens, "precache": precache, "data": data,
        "manifest": reverse("field-manifest"), "static_prefix": _static_prefix(),
    }


@require_GET
def manifest(request):
    body = {
        "name": _("张湾区河湖巡护"),
        "short_name": _("河湖巡护"),
        "description": _("巡河、清漂、问题上报，没有信号也能记录，联网后自动发送。"),
        "lang": "zh-CN",
        "start_url": reverse("field-home"),
        "scope": reverse("field-home"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f5f7fa",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": static("field/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("field/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("field/icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
        "shortcuts": [
            {"name": _("开始巡河"), "url": reverse("field-patrol")},
            {"name": _("问题上报"), "url": reverse("field-problem")},
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
