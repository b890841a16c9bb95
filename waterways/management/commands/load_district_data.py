from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from waterways import selectors, services
from waterways.gis_files import GisFileError, read_frame, read_waterways

from ._progress import progress_bar


class Command(BaseCommand):
    help = _(
        "载入 gis_data/ 中的张湾区数据：区界、乡镇与村（官方代码）、河流与支沟、代表家站。"
        "已有的数据默认不动（可重复运行）；--update 按文件更新。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--update", action="store_true", help=_("即使已有数据，也按 gis_data/ 中的文件更新"))

    @transaction.atomic  # with --update, a bad file leaves every dataset as it was
    def handle(self, *args, update=False, verbosity=1, **options):
        data = settings.GIS_DATA_DIR
        loaded = selectors.loaded_datasets()
        try:
            if update or not loaded["district"]:
                frame, _epsg = read_frame(data / "district_boundary.geojson")
                props = frame.iloc[0]
                district, _created = services.load_district(
                    frame=frame,
                    adcode=str(props["adcode"]),
                    name=props["name"],
                    accuracy="approximate",
                    source=props.get("note") or "",
                )
                self._done(_("区界"), district.name)
            else:
                self._skip(_("区界"))

            if update or not loaded["towns"]:
                towns, villages = services.load_towns_and_villages(csv_path=data / "villages.csv")
                self._done(_("乡镇与村"), _("%(towns)d 个乡镇街道，%(villages)d 个村（社区）") % {
                    "towns": towns, "villages": villages})
            else:
                self._skip(_("乡镇与村"))

            if update or not loaded["waterways"]:
                known = selectors.known_codes()
                result = read_waterways(
                    data / "waterways.geojson",
                    known_towns=known["towns"],
                    known_villages=known["villages"],
                    progress=progress_bar(self, _("检查河道"), verbosity),
                )
                summary = services.import_waterways(records=result.records, remove_missing=True)
                self._done(_("河流与支沟"), _("新增 %(added)d，修改 %(changed)d，未变 %(unchanged)d；河段 %(reaches)d 段") % {
                    "added": len(summary.added), "changed": len(summary.changed),
                    "unchanged": len(summary.unchanged), "reaches": summary.reaches})
            else:
                self._skip(_("河流与支沟"))

            if update or not loaded["stations"]:
                frame, _epsg = read_frame(data / "stations.geojson")
                stations = services.load_stations(frame=frame)
                self._done(_("代表家站"), _("%(n)d 个") % {"n": stations})
            else:
                self._skip(_("代表家站"))
        except GisFileError as error:
            raise CommandError("\n".join([error.message, *(f"  - {p}" for p in error.problems)])) from error

    def _done(self, what, detail):
        self.stdout.write(self.style.SUCCESS(f"✓ {what}: {detail}"))

    def _skip(self, what):
        self.stdout.write(_("· %(what)s：已有数据，未改动（用 --update 按文件更新）") % {"what": what})
