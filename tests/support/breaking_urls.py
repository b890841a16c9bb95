"""The site's URLs plus two views that break, to see what a crash looks like (tests/test_error_pages.py)."""

from django.urls import path

from riverwatch import urls as site


def breaks(request):
    raise RuntimeError("a bug nobody caught")


urlpatterns = [*site.urlpatterns, path("api/breaks/", breaks), path("breaks/", breaks)]
handler400, handler403, handler404, handler500 = site.handler400, site.handler403, site.handler404, site.handler500
