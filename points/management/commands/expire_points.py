"""The yearly clearing (积分年底清零), when the scheme has it on: run on 1 January (cron:
`5 0 1 1 * manage.py expire_points`). Without --year it clears the year just ended. Safe to repeat."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from points import services
from points.models import Scheme


class Command(BaseCommand):
    help = "积分年度清零：把某一年年底的余额清零（须在积分制设置中开启；服务时长不受影响）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="清零哪一年（默认：去年）")

    def handle(self, *args, **options):
        year = options["year"] or timezone.localdate().year - 1
        if not Scheme.current().yearly_expiry:
            self.stdout.write("积分制设置没有开启年度清零，什么也没做。")
            return
        try:
            count = services.expire_year(year=year)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"{year} 年底清零：{count} 人。")
