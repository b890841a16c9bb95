"""What a request that reaches no view, or breaks one, gets back: under /api/ and /ogc/ (OGC API –
Features, reports/ogc/) the API's refusal shape (riverwatch/api_errors.py: one sentence in `detail`,
a `code`), so that a program never has to parse an HTML page; elsewhere Django's own handlers with
our Chinese templates (templates/4xx, 500). Django calls these only with DEBUG off (riverwatch/urls.py:
handler400 … handler500)."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIXES = ("/api/", "/ogc/")


def wants_api_answer(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def api_refusal(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception):
    if wants_api_answer(request):
        return api_refusal(_("请求无法处理（格式或参数有误）。"), "bad_request", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if wants_api_answer(request):
        return api_refusal(_("你没有权限进行这项操作。"), "permission_denied", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if wants_api_answer(request):
        return api_refusal(_("没有这个接口地址，或没有这条记录。接口一览见 /api/docs/。"), "not_found", 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if wants_api_answer(request):
        return api_refusal(_("服务器出错了，这次请求没有保存任何内容。请稍后再试；问题持续请联系河长办。"),
                            "server_error", 500)
    return defaults.server_error(request)
