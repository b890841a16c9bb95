from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("志愿服务证明")

    def ready(self):
        from . import receivers

        receivers.connect()
