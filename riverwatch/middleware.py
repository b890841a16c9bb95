from django.conf import settings
from django.http import HttpResponseBadRequest
from django.middleware.gzip import GZipMiddleware
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.translation import gettext as _

from .error_pages import api_refusal, wants_api_answer
from .parsers import UNSTORABLE


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages: Chinese unless the user picked another language in the header menu (language
    cookie). The browser's Accept-Language is ignored there: shared office PCs and cheap phones
    are often set to English, and the district works in Chinese.
    API: a script or app states its language with Accept-Language, so errors come back in it."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            chosen = settings.LANGUAGE_CODE
            if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
                chosen = translation.get_language_from_request(request)
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()


class TransportMiddleware(GZipMiddleware):
    """How an answer travels to a phone on one bar of signal: gzipped where that helps (pages, JSON,
    GeoJSON, scripts, vector tiles; photos are compressed already), with an ETag taken from the
    uncompressed body, so that an unchanged answer is a 304 (weak tag and Vary: Accept-Encoding on
    both, as the compressed 200 has them). Answers to a signed-in user are private: no shared cache
    keeps them, and the browser asks again (a 304 when nothing changed). Django's gzip pads each
    answer with random bytes (Heal The Breach), so pages holding a CSRF token can be compressed."""

    COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript",
                    "application/vnd.mapbox-vector-tile", "application/manifest+json", "image/svg+xml")

    def process_response(self, request, response):
        conditional = request.method in ("GET", "HEAD") and response.status_code == 200
        if conditional and not response.streaming and not response.has_header("ETag") \
                and "no-store" not in response.get("Cache-Control", ""):
            set_response_etag(response)
        if getattr(request, "user", None) is not None and request.user.is_authenticated \
                and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type.startswith(self.COMPRESSIBLE):
            response = super().process_response(request, response)
        if conditional and response.has_header("ETag"):
            return get_conditional_response(request, etag=response["ETag"], response=response)
        return response


class RefuseUnstorableTextMiddleware:
    """PostgreSQL cannot store a NUL in text, and a lone surrogate cannot be encoded: a path or a
    query string holding one is refused at once with a 400 in the user's language, before any view
    hands it to the database. (JSON bodies: riverwatch.parsers; form fields: Django's and DRF's
    CharField refuse NUL themselves.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [request.path, *(value for _key, value in request.GET.lists() for value in value),
                  *request.GET.keys()]
        if any(UNSTORABLE.search(value) for value in values):
            message = _("请求的地址或参数里有无法处理的字符（空字符 \\0 或孤立的 UTF-16 代理项），已拒收。")
            if wants_api_answer(request):
                return api_refusal(message, "unstorable_text", 400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
