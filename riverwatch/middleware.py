from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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


class CompressionMiddleware(GZipMiddleware):
    """Gzip for what compresses: pages, JSON, GeoJSON, scripts and vector tiles (a chief's phone on one
    bar of signal downloads a year of tracks in a quarter of the bytes). Photos and other images are
    compressed already and are sent as they are. Django's gzip pads each answer with random bytes
    (Heal The Breach), so pages holding a CSRF token can be compressed too."""

    COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript",
                    "application/vnd.mapbox-vector-tile", "application/manifest+json", "image/svg+xml")

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if not content_type.startswith(self.COMPRESSIBLE):
            return response
        return super().process_response(request, response)
