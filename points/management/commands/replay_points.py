"""Makes the ledger complete: every credit and reversal the reviews and problem moves so far call for
and that is missing (a receiver that failed, records from before the scheme). Safe to run any time:
each entry has a key, so what is there already is not made again."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from patrols.models import Activity
from points import services


class Command(BaseCommand):
    help = "补记积分：按已审核的活动和问题处理记录补上缺少的积分明细（可重复运行，不会重复计分）。"

    def handle(self, *args, **options):
        stream = self.stderr._out
        reviewed = Activity.objects.filter(status__in=[Activity.Status.VERIFIED, Activity.Status.REJECTED]).count()
        shown = options["verbosity"] > 0 and hasattr(stream, "isatty") and stream.isatty()
        with tqdm(total=reviewed, desc="活动", unit="条", file=stream, disable=not shown, leave=False) as bar:
            added = services.replay(on_progress=lambda: bar.update(1))
        self.stdout.write(f"补记积分明细 {added} 条。")
