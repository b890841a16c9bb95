from django.conf import settings


def site(request):
    """Values every page needs: the basemap choice."""
    return {"TIANDITU_KEY": settings.TIANDITU_KEY}
