"""Deletes raw GPS fixes past their retention period (settings.RAW_TRACK_RETENTION_DAYS), for cron:

    17 3 * * *  cd /srv/riverwatch && .venv/bin/python manage.py purge_raw_tracks >> /var/log/riverwatch-purge.log 2>&1

The raw fixes (patrols.RawTrack) are every position a phone sent, kept to audit the cleaning of a
track. After the retention period they go; the cleaned track, the reaches it covered and every
figure of the activity stay. An activity's age is when it started."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from patrols import selectors, services
from riverwatch.dates import local_minute


class Command(BaseCommand):
    help = _(
        "删除超过保留期（RAW_TRACK_RETENTION_DAYS 天，按活动开始时间）的原始 GPS 定位点，分批删除；"
        "清洗后的轨迹和河段巡查记录保留。供 cron 定时运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help=_("只统计将删除多少条，不删除"))
        parser.add_argument("--batch-size", type=int, default=500, help=_("每批删除的条数（默认 500）"))

    def handle(self, *args, dry_run=False, batch_size=500, verbosity=1, **options):
        days = settings.RAW_TRACK_RETENTION_DAYS
        if days < 1:
            raise CommandError(_("RAW_TRACK_RETENTION_DAYS 应为正整数，现在是 %(days)s。") % {"days": days})
        if batch_size < 1:
            raise CommandError(_("--batch-size 应为正整数。"))
        cutoff = timezone.now() - timedelta(days=days)
        total = selectors.raw_tracks_started_before(cutoff).count()
        words = {"n": total, "days": days, "cutoff": local_minute(cutoff)}
        if dry_run:
            self.stdout.write(_("（--dry-run，未删除）将删除 %(n)d 条原始轨迹：活动开始于 %(cutoff)s（北京时间）之前，"
                                "超过保留期 %(days)d 天。") % words)
            return

        # tqdm redraws its line with "\r": it writes to the stream Django's wrapper holds, and only
        # on a terminal (cron's output stays one summary line).
        stream = self.stderr._out
        shown = verbosity > 0 and hasattr(stream, "isatty") and stream.isatty()
        with tqdm(total=total, desc=_("删除原始轨迹"), unit=_("条"), file=stream, disable=not shown, leave=False) as bar:
            deleted = services.purge_raw_tracks(cutoff=cutoff, batch_size=batch_size, on_batch=bar.update)
        words["n"] = deleted
        self.stdout.write(self.style.SUCCESS(
            _("已删除 %(n)d 条原始轨迹：活动开始于 %(cutoff)s（北京时间）之前，超过保留期 %(days)d 天；"
              "清洗后的轨迹和河段巡查记录保留。") % words))
