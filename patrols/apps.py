from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = _("巡护活动")

    def ready(self):
        from . import openapi, receivers  # noqa: F401  (openapi registers a schema extension on import)

        receivers.connect()
