from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from people import importing, services
from waterways.management.commands._progress import progress_bar


def parse_since(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("--since 应为日期，例如 2026-01-01")) from None


class Command(BaseCommand):
    help = _(
        "从 Excel (.xlsx) 或 CSV（UTF-8 或 GBK）导入人员名单。第一个工作表，第 1 行为表头（上方可有标题行）。"
        "列（中英文均可）：姓名/name、电话/手机/phone、身份/role、级别/level、乡镇/town、村/village、"
        "队伍/teams、河长河道/chief_waterways、备注/note、在册/active；姓名和身份必填。"
        "按电话匹配已登记人员；没有电话或电话尚未登记时，按“姓名 + 村”匹配没有电话的人员；都找不到则新增。"
        "空白单元格不清除已登记的信息（级别随身份）；所列队伍和河长河道只增加，不移除。"
        "先逐行检查，有任何一行有问题就列出全部问题、不写入任何数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("名单文件路径（.xlsx 或 .csv）"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查并报告结果，不写入"))
        parser.add_argument(
            "--create-teams", action="store_true",
            help=_("新建文件中出现但尚未登记的队伍（默认当作错误报告）"),
        )
        parser.add_argument(
            "--since", type=parse_since, default=None,
            help=_("新河长任命的起始日期（YYYY-MM-DD，默认今天）；级别变了的原任命在前一天结束"),
        )

    def handle(self, *args, path, dry_run=False, create_teams=False, since=None, verbosity=1, **options):
        try:
            table = importing.read_people_file(path)
        except importing.PeopleFileError as error:
            raise CommandError(_("%(message)s 未写入任何数据。") % {"message": error.message}) from error
        if verbosity:
            self.stdout.write(_("读取 %(n)d 行人员，文件格式：%(source)s。") % {"n": len(table.rows), "source": table.source})
            if table.ignored_columns:
                self.stdout.write(self.style.WARNING(
                    _("忽略无法识别的列：%(columns)s") % {"columns": _("、").join(table.ignored_columns)}))

        try:
            summary = services.import_people(
                rows=table.rows, create_teams=create_teams, since=since, dry_run=dry_run,
                progress=progress_bar(self, _("写入人员"), verbosity),
            )
        except services.PeopleImportError as error:
            lines = [_("%(n)d 行有问题，未写入任何数据：") % {"n": len(error.problems)}]
            lines += [f"  {problem}" for problem in error.problems]
            raise CommandError("\n".join(lines)) from error

        if verbosity > 1:
            for number, name, outcome in summary.outcomes:
                self.stdout.write(_("  第 %(n)d 行（%(name)s）：%(outcome)s") % {"n": number, "name": name, "outcome": outcome})
        counts = {
            "added": len(summary.added), "updated": len(summary.updated), "unchanged": len(summary.unchanged),
            "teams": len(summary.teams_created), "assigned": summary.assignments_added,
            "ended": summary.assignments_ended,
        }
        if dry_run:
            message = _("检查通过（--dry-run，未写入）：将新增 %(added)d，更新 %(updated)d，未变 %(unchanged)d；"
                        "新建队伍 %(teams)d 个，新增河长任命 %(assigned)d 条，结束原任命 %(ended)d 条。") % counts
        else:
            message = _("导入完成：新增 %(added)d，更新 %(updated)d，未变 %(unchanged)d；"
                        "新建队伍 %(teams)d 个，新增河长任命 %(assigned)d 条，结束原任命 %(ended)d 条。") % counts
        self.stdout.write(self.style.SUCCESS(message))
        if summary.teams_created and verbosity:
            self.stdout.write(_("新建的队伍：%(names)s（类型可在管理后台修改）") % {"names": _("、").join(summary.teams_created)})
