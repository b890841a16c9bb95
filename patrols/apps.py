from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = _("巡护活动")

    def ready(self):
        from . import openapi, privacy, receivers  # noqa: F401  (privacy's receiver connects on import;
        # openapi registers a schema extension on import)

        receivers.connect()
