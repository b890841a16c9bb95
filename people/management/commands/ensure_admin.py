import os

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from people import services

DEFAULT_DEV_PASSWORD = "riverwatch"


class Command(BaseCommand):
    help = _("开发用：如果还没有 admin 超级用户就创建一个，密码取自 RW_ADMIN_PASSWORD（默认 riverwatch）。已有则不改动。")

    def handle(self, *args, **options):
        password = os.environ.get("RW_ADMIN_PASSWORD") or DEFAULT_DEV_PASSWORD
        if not services.ensure_superuser(username="admin", password=password):
            self.stdout.write(_("· 超级用户 admin 已存在，未改动"))
            return
        self.stdout.write(self.style.SUCCESS(
            _("✓ 已创建超级用户 admin，密码：%(password)s（仅供开发使用，请勿用于生产）") % {"password": password}))
