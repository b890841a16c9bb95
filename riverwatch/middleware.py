from django.conf import settings
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
