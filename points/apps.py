from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("积分制")

    def ready(self):
        from . import receivers

        receivers.connect()
