from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from waterways import selectors, services
from waterways.gis_files import GisFileError, read_waterways

from ._progress import progress_bar


def parse_field_map(text):
    """'code=HDBM,name=HDMC' → {'code': 'HDBM', 'name': 'HDMC'}"""
    mapping = {}
    for pair in filter(None, (part.strip() for part in (text or "").split(","))):
        ours, _sep, theirs = pair.partition("=")
        if not theirs:
            raise CommandError(_("--map 的格式应为 字段=列名，例如 code=HDBM,name=HDMC"))
        mapping[ours.strip()] = theirs.strip()
    return mapping


class Command(BaseCommand):
    help = _(
        "导入河流/支沟（GeoJSON、GeoPackage 或压缩的 Shapefile）。文件须声明坐标系；按编码更新或新增；"
        "默认删除文件中没有的河流；全部成功才写入，然后重新切分河段。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("GIS 文件路径"))
        parser.add_argument("--layer", help=_("GeoPackage 中的图层名（默认第一个）"))
        parser.add_argument("--map", dest="field_map", help=_("属性列对应关系，例如 code=HDBM,name=HDMC,kind=LX"))
        parser.add_argument(
            "--keep-missing", action="store_true", help=_("保留数据库中有而文件中没有的河流（默认删除）")
        )
        parser.add_argument("--dry-run", action="store_true", help=_("只检查文件，不写入"))

    def handle(self, *args, path, layer=None, field_map=None, keep_missing=False, dry_run=False, verbosity=1, **options):
        known = selectors.known_codes()
        try:
            result = read_waterways(
                path,
                known_codes=known["waterways"] if keep_missing else set(),
                known_towns=known["towns"],
                known_villages=known["villages"],
                field_map=parse_field_map(field_map),
                layer=layer,
                progress=progress_bar(self, _("检查要素"), verbosity),
            )
        except GisFileError as error:
            lines = [error.message, *(f"  - {problem}" for problem in error.problems)]
            raise CommandError("\n".join(lines)) from error

        if dry_run:
            self.stdout.write(_("文件检查通过：%(n)d 条河道，坐标系 EPSG:%(epsg)d。未写入（--dry-run）。") % {
                "n": len(result.records), "epsg": result.source_epsg})
            return
        try:
            summary = services.import_waterways(
                records=result.records,
                remove_missing=not keep_missing,
                progress=progress_bar(self, _("写入河道"), verbosity),
            )
        except ValidationError as error:
            # The file passed its own checks but the database refused a row: still nothing written.
            raise CommandError(_("写入时出错，未写入任何数据：%(error)s") % {"error": "; ".join(error.messages)}) from error
        self.stdout.write(self.style.SUCCESS(
            _("导入完成（源坐标系 EPSG:%(epsg)d）：新增 %(added)d，修改 %(changed)d，未变 %(unchanged)d，删除 %(removed)d；河段共 %(reaches)d 段。") % {
                "epsg": result.source_epsg, "added": len(summary.added), "changed": len(summary.changed),
                "unchanged": len(summary.unchanged), "removed": len(summary.removed), "reaches": summary.reaches}
        ))
        for label, codes in ((_("新增"), summary.added), (_("修改"), summary.changed), (_("删除"), summary.removed)):
            if codes and verbosity > 1:
                self.stdout.write(f"  {label}: {', '.join(codes)}")
        for code, distance in summary.unjoined:
            self.stdout.write(self.style.WARNING(
                _("注意：%(code)s 的河口距汇入河流 %(distance)s 米，超出容差，未建立汇流关系。") % {
                    "code": code, "distance": "?" if distance is None else f"{distance:.0f}"}
            ))
