from django.conf import settings
from django.utils.functional import SimpleLazyObject

from patrols.selectors import target_status
from people.selectors import is_office_staff
from reports.permissions import may_use_reports


def site(request):
    """Values every page needs: the basemap choice, and (for logged-in users) the service-record
    count toward the district's target, with its definition."""
    values = {"TIANDITU_KEY": settings.TIANDITU_KEY}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        # Counted only when a template shows it (the admin's pages never do).
        values["service_target"] = SimpleLazyObject(target_status)
        # Whether the river-chief pages are in the menu: chiefs and staff only.
        values["may_use_reports"] = SimpleLazyObject(lambda: may_use_reports(request.user))
        # Whether the office's pages (志愿服务证明) are in the menu.
        values["is_office_staff"] = SimpleLazyObject(lambda: is_office_staff(request.user))
    return values
