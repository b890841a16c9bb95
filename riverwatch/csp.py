"""Content-Security-Policy (django-csp 4): the one strict policy of settings.CONTENT_SECURITY_POLICY,
with two additions decided per request.

- Tianditu tiles: their hosts are allowed as images only while TIANDITU_KEY is set (read at each
  answer, so the policy follows the setting).
- Django's admin, only its add and change forms, and only for signed-in staff (found by the URL
  namespace and name): inline scripts allowed there and nowhere else. Its login page, index, lists
  and delete pages keep the strict policy. django-leaflet's map widgets start each map with an inline <script>
  (leaflet/widget.html, leaflet/_leaflet_map.html). django-leaflet gives those scripts the request's
  nonce only for the geometry fields of a model that LeafletGeoAdmin builds itself; the activity
  review form's read-only maps (patrols.admin.ReadOnlyMap) are form fields it never sees, so their
  scripts carry no usable nonce. A nonce in the header would make browsers ignore 'unsafe-inline'
  and block those maps, so the admin gets 'unsafe-inline' without a nonce. Style attributes too
  (style-src-attr, not <style> elements): the activity page's photo previews are
  <img style="max-height…"> (patrols.admin.PhotoInline.preview); with a CSS class there instead,
  that addition can go. Django's admin and django-leaflet otherwise style through CSS files and
  element.style, which the policy allows. The admin is for signed-in staff only; the pages
  everyone uses keep script-src 'self' and style-src 'self'.
"""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings

ADMIN_ADDITIONS = {"script-src": [UNSAFE_INLINE], "style-src-attr": [UNSAFE_INLINE]}


def _merge(update, additions):
    merged = {key: list(values) for key, values in (update or {}).items()}
    for key, values in additions.items():
        merged[key] = [*merged.get(key, []), *values]
    return merged


def is_admin_form(request):
    """An add or change form of the admin (where map widgets and photo previews are), for staff."""
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    return (match is not None and "admin" in match.app_names and match.url_name is not None
            and match.url_name.endswith(("_change", "_add"))
            and user is not None and user.is_authenticated and user.is_staff)


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, plus the Tianditu hosts while a key is set and the admin forms' additions."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if settings.TIANDITU_KEY:
            parts.update = _merge(parts.update, {"img-src": settings.TIANDITU_TILE_HOSTS})
        if is_admin_form(request):
            parts.update = _merge(parts.update, ADMIN_ADDITIONS)
        return parts
