from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from people import views as people_views
from riverwatch import health

admin.site.site_header = _("张湾区河湖巡护 管理后台")
admin.site.site_title = _("河湖巡护管理")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),  # health checks: riverwatch/health.py
    path("", include("waterways.urls")),
    path("", include("patrols.urls")),
    path("", include("problems.urls")),
    path("", include("problems.public_urls")),  # the signboard's public report page, no login
    path("open311/v2/", include("problems.open311.urls")),
    path("ogc/", include("reports.ogc.urls")),  # OGC API – Features for QGIS and GDAL (docs/ogc.md)
    path("", include("certificates.urls")),  # volunteer service certificates; /certificates/verify/… is public
    path("", include("reports.urls")),
    path("", include("points.urls")),  # the points scheme: public boards and rules, statements, redemption
    path("api/", include("waterways.api_urls")),
    path("api/", include("people.api_urls")),
    path("api/", include("patrols.api_urls")),
    path("api/", include("problems.api_urls")),
    path("api/", include("points.api_urls")),
    path("api/", include("reports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script, for the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Every signed-in user changes their own password (AUTH_PASSWORD_VALIDATORS); staff set other
    # people's in the admin. Templates of our own names: the admin keeps its registration/password_change_*.
    path("accounts/password/", auth_views.PasswordChangeView.as_view(template_name="registration/change_password.html"),
         name="password_change"),
    path("accounts/password/done/",
         auth_views.PasswordChangeDoneView.as_view(template_name="registration/change_password_done.html"),
         name="password_change_done"),
    path("accounts/tokens/", people_views.api_tokens, name="account-tokens"),
    path("people/me/board/", people_views.board_preference, name="board-preference"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# JSON under /api/, Chinese pages elsewhere: riverwatch/error_pages.py
handler400 = "riverwatch.error_pages.bad_request"
handler403 = "riverwatch.error_pages.permission_denied"
handler404 = "riverwatch.error_pages.page_not_found"
handler500 = "riverwatch.error_pages.server_error"
