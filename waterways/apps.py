from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaterwaysConfig(AppConfig):
    name = "waterways"
    verbose_name = _("河流水系")

    def ready(self):
        from . import checks  # noqa: F401  (registers the storage-SRID check)
