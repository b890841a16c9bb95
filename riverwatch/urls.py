from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = _("张湾区河湖巡护 管理后台")
admin.site.site_title = _("河湖巡护管理")

urlpatterns = [
    path("", include("waterways.urls")),
    path("", include("patrols.urls")),
    path("", include("reports.urls")),
    path("api/", include("waterways.api_urls")),
    path("api/", include("people.api_urls")),
    path("api/", include("patrols.api_urls")),
    path("api/", include("reports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
