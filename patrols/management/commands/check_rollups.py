"""Compares the reach rollups (patrols.ReachVisitYear, what coverage, gaps and freshness read) with
the reach visits they are derived from, waterway by waterway, and the activity tiles' grid
(patrols.ActivityCell) and the tracks simplified per zoom (patrols.TrackBand) with the activities,
and with --rebuild makes them equal:

    .venv/bin/python manage.py check_rollups             # exit status 1 when a row differs
    .venv/bin/python manage.py check_rollups --rebuild   # rebuild them all

Every write keeps the rows in step inside its own transaction, not after it; a difference means something wrote
visits, statuses or service records past patrols.services (an SQL script, a restore of one table), or
the grid's triggers were off (a restore with triggers disabled, another time zone)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from patrols import cells, rollups, services, track_bands
from waterways.models import Waterway

BATCH = 50  # waterways per statement: a progress bar that moves, and no statement that runs for minutes


class Command(BaseCommand):
    help = _("核对河段巡查汇总（覆盖率、空白河段和巡查新鲜度所读的表）与河段巡查记录、活动瓦片网格汇总与活动是否一致；"
             "加 --rebuild 则全部重建。有不一致时退出码为 1。")

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help=_("按河段巡查记录和活动重建全部汇总"))
        parser.add_argument("--show", type=int, default=10, help=_("列出前几条不一致（默认 10）"))

    def handle(self, *args, rebuild=False, show=10, verbosity=1, **options):
        if show < 0:
            raise CommandError(_("--show 不能是负数。"))
        waterway_ids = list(Waterway.objects.order_by("id").values_list("id", flat=True))
        batches = [waterway_ids[start:start + BATCH] for start in range(0, len(waterway_ids), BATCH)]
        bar = tqdm(total=len(waterway_ids), unit=_("条河"), disable=verbosity < 1, file=self.stderr)
        written = differing = 0
        examples = []
        for batch in batches:
            if rebuild:
                written += services.rebuild_visit_rollups(waterway_ids=batch)
            else:
                count, rows = rollups.differences(batch, limit=show)
                differing += count
                examples.extend(rows[:max(0, show - len(examples))])
            bar.update(len(batch))
        bar.close()
        if rebuild:
            # Rows of reaches whose waterway is gone cannot exist (they go with the reach), so the batches cover all.
            self.stdout.write(_("已重建 %(waterways)s 条河流/支沟的河段巡查汇总，共 %(rows)s 行。")
                              % {"waterways": len(waterway_ids), "rows": written})
        cell_bar = tqdm(total=cells.batch_count() + track_bands.batch_count(), unit=_("批活动"),
                        disable=verbosity < 1, file=self.stderr)
        if rebuild:
            cell_rows = cells.rebuild(progress=cell_bar.update)
            band_rows = track_bands.rebuild(progress=cell_bar.update)
            cell_bar.close()
            self.stdout.write(_("已按活动重建活动瓦片网格汇总，共 %(rows)s 行。") % {"rows": cell_rows})
            self.stdout.write(_("已按活动重建轨迹瓦片简化线，共 %(rows)s 行。") % {"rows": band_rows})
            return
        cell_differing, cell_examples = cells.differences(limit=show, progress=cell_bar.update)
        band_differing = track_bands.differences(progress=cell_bar.update)
        cell_bar.close()
        for row in cell_examples:
            self.stdout.write(_("活动瓦片网格：第 %(level)s 级，格 (%(cx)s, %(cy)s)，%(first_day)s 起（%(grain)s），"
                                "类型“%(kind)s”，状态“%(status)s”：应为 %(fresh)s 条，表中 %(stored)s 条") % row)
        if not differing and not cell_differing and not band_differing:
            self.stdout.write(_("河段巡查汇总与巡查记录一致（%(waterways)s 条河流/支沟）。") % {"waterways": len(waterway_ids)})
            self.stdout.write(_("活动瓦片网格汇总、轨迹瓦片简化线与活动一致。"))
            return
        if cell_differing:
            self.stderr.write(_("有 %(n)s 行活动瓦片网格汇总与活动不一致。") % {"n": cell_differing})
        if band_differing:
            self.stderr.write(_("有 %(n)s 行轨迹瓦片简化线与活动不一致。") % {"n": band_differing})
        if not differing:
            raise CommandError(_("运行 manage.py check_rollups --rebuild 重建。"))
        for row in examples:
            side = _("缺少") if row["side"] == "missing" else _("多出")
            self.stdout.write(_("%(side)s：河段 %(reach)s，%(year)s 年，类型“%(kind)s”，角色“%(role)s”，%(visits)s 次")
                              % {"side": side, "reach": row["reach_id"], "year": row["year"], "kind": row["kind"] or "*",
                                 "role": row["role"] or "*", "visits": row["visits"]})
        raise CommandError(_("有 %(n)s 行河段巡查汇总与巡查记录不一致：运行 manage.py check_rollups --rebuild 重建。")
                           % {"n": differing})
