import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from people import services

DEFAULT_DEV_PASSWORD = "riverwatch"
USERNAME = "admin"


class Command(BaseCommand):
    help = _(
        "如果还没有 admin 超级用户就创建一个，已有则不改动。开发环境（DEBUG）：密码取自 RW_ADMIN_PASSWORD（默认 riverwatch）。"
        "生产环境：只在设置了 RW_ADMIN_PASSWORD 且密码通过密码规则检查时才创建，否则不创建，请用 manage.py createsuperuser。"
    )

    def handle(self, *args, **options):
        password = os.environ.get("RW_ADMIN_PASSWORD", "")
        # Development is DEBUG (script/server); anything else, production included, is checked.
        if settings.DEBUG:
            self._development(password or DEFAULT_DEV_PASSWORD)
        else:
            self._production(password)

    def _development(self, password):
        if not services.ensure_superuser(username=USERNAME, password=password):
            self.stdout.write(_("· 超级用户 admin 已存在，未改动"))
            return
        self.stdout.write(self.style.SUCCESS(
            _("✓ 已创建超级用户 admin，密码：%(password)s（仅供开发使用，请勿用于生产）") % {"password": password}))

    def _how_to_create(self):
        self.stdout.write(_("  创建管理员：python manage.py createsuperuser（Docker：docker compose exec web python manage.py "
                            "createsuperuser），或设置足够强的 RW_ADMIN_PASSWORD 后重新启动。"))

    def _production(self, password):
        if not password:
            if get_user_model().objects.filter(username=USERNAME).exists():
                self.stdout.write(_("· 超级用户 admin 已存在，未改动"))
                return
            self.stdout.write(self.style.WARNING(_("· 未创建超级用户：生产环境不使用默认密码，没有设置 RW_ADMIN_PASSWORD。")))
            self._how_to_create()
            return
        try:
            created = services.ensure_checked_superuser(username=USERNAME, password=password)
        except ValidationError as error:
            self.stderr.write(self.style.ERROR(
                _("✗ 未创建超级用户 admin：RW_ADMIN_PASSWORD 不符合密码要求：%(problems)s")
                % {"problems": _("；").join(error.messages)}))
            self._how_to_create()
            return
        if created:
            self.stdout.write(self.style.SUCCESS(_("✓ 已创建超级用户 admin，密码取自 RW_ADMIN_PASSWORD。")))
        else:
            self.stdout.write(_("· 超级用户 admin 已存在，未改动"))
