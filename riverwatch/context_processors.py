from django.conf import settings

from patrols.selectors import target_progress


def site(request):
    """Values every page needs: the basemap choice, and (for logged-in users) the service-record
    count toward the district's target, with its definition."""
    values = {"TIANDITU_KEY": settings.TIANDITU_KEY}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        values["service_target"] = target_progress()
    return values
