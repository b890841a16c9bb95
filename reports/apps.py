from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The read side: coverage, gaps, hotspots and compliance. Nothing imports from here."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("统计分析")
