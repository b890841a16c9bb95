"""Builds a report from the command line, keeps it as a stored version (docs/reports.md) and writes the
file: `manage.py build_report 2026 [--quarter 3] [--waterway ZW-G07] --format pdf --out report.pdf`."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reports import services
from reports.models import Format
from reports.yearbook.scope import Scope
from waterways.models import Waterway


class Command(BaseCommand):
    help = "生成年度报告、季度通报或一河一档，保存为一个版本，并写出文件（html、pdf、xlsx 或 gpkg）。"

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="年份，如 2026")
        parser.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="季度（1–4）：生成季度通报")
        parser.add_argument("--waterway", default="", help="河道编码（如 ZW-G07）：生成这条河道的一河一档")
        parser.add_argument("--format", choices=Format.values, default=Format.PDF, help="文件格式，默认 pdf")
        parser.add_argument("--out", help="写出的文件路径；不给则只保存版本并显示文件位置")
        parser.add_argument("--base-url", default=settings.SITE_URL,
                            help="报告中链接和二维码的网址前缀，如 https://river.example.cn（默认 SITE_URL）")

    def handle(self, *args, **options):
        try:
            scope = Scope.asked(options["year"], options["quarter"], options["waterway"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        if scope.waterway_code and not Waterway.objects.filter(code=scope.waterway_code).exists():
            raise CommandError(f"没有编码为 {scope.waterway_code} 的河道。")
        out = Path(options["out"]) if options["out"] else None
        if out is not None and not out.parent.exists():
            raise CommandError(f"目录 {out.parent} 不存在。")
        stream = self.stderr._out
        shown = options["verbosity"] > 0 and hasattr(stream, "isatty") and stream.isatty()
        with tqdm(total=100, desc="生成报告", unit="%", file=stream, disable=not shown, leave=False) as bar:
            def progress(fraction, label):
                bar.set_postfix_str(str(label))
                bar.update(max(0, int(fraction * 100) - bar.n))

            build, created, files = services.build_report(
                scope, [options["format"]], base_url=options["base_url"].rstrip("/"), progress=progress)
        made = files[0]
        if out is not None:
            with made.file.open("rb") as source:
                out.write_bytes(source.read())
        where = out if out is not None else made.file.path
        state = "新版本" if created else "数据没有变化，沿用"
        self.stdout.write(f"{scope.key} 第 {build.version} 版（{state}），数据指纹 {build.inputs_hash[:12]}；"
                          f"{options['format']} 文件：{where}（{made.size:,} 字节）")
