"""The problem list's daily run, for cron:

    30 7 * * *  cd /srv/riverwatch && .venv/bin/python manage.py send_reminders >> /var/log/riverwatch-reminders.log 2>&1

Escalates what ran past its deadline (once), plans the last quarter's re-inspections (回头看) on a
quarter's first day, and leaves each person a digest of what is due within two days and what is
overdue, shown in the app and e-mailed; deputies with no river work for a month get a reminder."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from problems import services


class Command(BaseCommand):
    help = _("每日运行：逾期问题升级提醒、季度回头看任务、每人每日待办摘要（站内通知并发邮件）、人大代表履职提醒。供 cron 定时运行。")

    def add_arguments(self, parser):
        parser.add_argument("--day", help=_("按这一天运行（YYYY-MM-DD，默认今天；补跑漏掉的日子，不能是将来）"))
        parser.add_argument("--no-email", action="store_true", help=_("只生成站内通知，不发邮件"))

    def handle(self, *args, day=None, no_email=False, **options):
        try:
            today = date.fromisoformat(day) if day else None
        except ValueError:
            raise CommandError(_("--day 应为 YYYY-MM-DD 格式的日期；收到“%(day)s”。") % {"day": day}) from None
        try:
            run = services.send_reminders(today=today, send_email=not no_email)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(_("逾期升级 %(escalated)s 件；回头看任务 %(follow_ups)s 个；待办摘要 %(digests)s 份；"
                            "代表履职提醒 %(nudges)s 份；发出邮件 %(emailed)s 封。") % vars(run))
