from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data generator (`manage.py seed_demo`). No models; the domain apps never import it."""

    name = "demo"
    verbose_name = _("演示数据")
