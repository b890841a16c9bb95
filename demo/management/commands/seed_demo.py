"""manage.py seed_demo: checks the database is one to put a demo in, plans, writes and reports."""

import os
import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models.deletion import ProtectedError
from django.db.utils import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from demo import closed_loop, planner, points_ledger, writer
from demo.network import load_network
from demo.progress import progress_bar
from demo.reset import DemoEntangled, delete_demo_data, existing_state, summary
from patrols.models import Activity
from people.models import Level, Role, Team
from problems.models import Ending, ResponsibleUnit, Source, State

LOGIN_LABELS = {
    "volunteer": gettext_lazy("志愿者"), "leader": gettext_lazy("志愿服务队队长"), "village-chief": gettext_lazy("村级河长"),
    "township-chief": gettext_lazy("乡镇级河长"), "staff": gettext_lazy("河长办工作人员"),
}


def _date(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("日期格式应为 YYYY-MM-DD：%(value)s") % {"value": value}) from None


def is_production():
    """DEBUG off under the prod settings module (override_settings hides the module name, hence the env)."""
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE", "")
    return not settings.DEBUG and module.rsplit(".", 1)[-1] == "prod"


class Command(BaseCommand):
    help = _(
        "生成演示数据：约 400 名人员（各身份与级别）、队伍与河长任命，以及截至 --end 的两年活动"
        "（巡河轨迹、清漂保洁、污水管网排查、垃圾分类宣传）和 3,200 条以上服务记录。"
        "同样的 --seed 和 --end 生成同样的数据。数据库已有活动记录时拒绝运行；"
        "--reset 只删除以前生成的演示数据（备注以“[演示数据]”开头的人员、他们的账号、只有他们的队伍、"
        "他们提交或参加的活动），其他数据不动。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=planner.DEFAULT_SEED, help=_("随机种子（默认 %(default)s）"))
        parser.add_argument("--end", type=_date, default=planner.DEFAULT_END,
                            help=_("两年数据的最后一天，YYYY-MM-DD（默认 %(default)s）"))
        parser.add_argument("--scale", type=float, default=1.0, help=_("活动数量的倍数，测试时用小数（默认 1.0）"))
        parser.add_argument("--password", default=writer.DEFAULT_PASSWORD, help=_("演示账号的密码（默认 %(default)s）"))
        parser.add_argument("--reset", action="store_true", help=_("先删除以前生成的演示数据，其他数据不动"))
        parser.add_argument("--if-empty", action="store_true", help=_("数据库已有活动记录或演示人员时跳过，不报错"))
        parser.add_argument("--allow-production", action="store_true", help=_("允许在生产环境中运行"))

    def handle(self, *args, seed, end, scale, password, reset, if_empty, allow_production, verbosity=1, **options):
        started = time.monotonic()
        if is_production() and not allow_production:
            raise CommandError(_("这是生产环境（riverwatch.settings.prod），不生成演示数据。确需生成请加 --allow-production。"))
        if not 0 < scale <= 5:
            raise CommandError(_("--scale 应在 0 到 5 之间。"))
        if end > timezone.localdate():
            raise CommandError(
                _("--end 不能晚于今天（%(today)s）：系统不接收将来的活动。") % {"today": timezone.localdate()}
            )
        if not self.database_ready(reset=reset, if_empty=if_empty):
            return

        network = load_network()
        if not network.ways:
            raise CommandError(_("还没有河流与支沟数据，请先运行 manage.py load_district_data。"))
        plan = planner.build_plan(network, seed=seed, end=end, scale=scale)
        planned_records = plan.service_record_count
        if scale >= 1 and planned_records < planner.MIN_SERVICE_RECORDS:
            raise CommandError(
                _("计划只有 %(n)d 条服务记录，少于 %(min)d 条，演示数据不完整。")
                % {"n": planned_records, "min": planner.MIN_SERVICE_RECORDS}
            )
        self.stdout.write(
            _("· 生成 %(start)s 至 %(end)s 的演示数据：%(people)d 人，%(activities)d 条活动（种子 %(seed)d，倍数 %(scale)g）")
            % {"start": plan.start, "end": plan.end, "people": len(plan.people), "activities": len(plan.activities),
               "seed": seed, "scale": scale}
        )
        try:
            directory = writer.write_people(plan, password=password)
            result = writer.write_activities(plan, directory, network.ways, progress=progress_bar(self, _("写入活动"), verbosity))
            loop = closed_loop.plan_closed_loop(plan, network, now=timezone.now())
            loop_result = closed_loop.write_closed_loop(plan, loop, directory,
                                                        progress=progress_bar(self, _("写入问题办理"), verbosity))
            points_ledger.write_shop(plan, directory, network)
        except IntegrityError as error:
            delete_demo_data()
            raise CommandError(_("写入演示数据失败（与已有数据冲突），已撤回：%(error)s") % {"error": error}) from None
        except BaseException:
            delete_demo_data()  # Ctrl-C or a failure half-way leaves no half-written demo behind
            raise

        figures = summary()
        if figures["service_records"] != planned_records:
            raise CommandError(
                _("写入的服务记录（%(done)d 条）与计划（%(planned)d 条）不符。")
                % {"done": figures["service_records"], "planned": planned_records}
            )
        self.report(plan, figures, result, loop_result, time.monotonic() - started, password)

    def database_ready(self, *, reset, if_empty):
        """False to skip quietly; raises when the database is not one to put a demo in."""
        activities, demo_people = existing_state()
        if if_empty and not reset and (activities or demo_people):
            self.stdout.write(
                _("· 数据库中已有 %(n)d 条活动记录、%(people)d 名演示人员，跳过演示数据。") % {"n": activities, "people": demo_people}
            )
            return False
        if reset:
            try:
                removed = delete_demo_data()
            except DemoEntangled as error:
                raise CommandError(str(error)) from None
            except ProtectedError as error:
                raise CommandError(_("演示数据仍被其他记录引用，无法删除：%(error)s") % {"error": error}) from None
            self.stdout.write(
                _("· 已删除以前的演示数据：%(people)d 人、%(users)d 个账号、%(teams)d 支队伍、%(activities)d 条活动") % removed
            )
            self.stdout.write(_("· 已删除以前的演示问题 %(problems)d 个、责任单位 %(units)d 个") % removed)
            self.stdout.write(_("· 已删除以前的演示积分明细 %(point_entries)d 条、兑换 %(redemptions)d 次、积分超市物品 %(items)d 种")
                              % removed)
            activities, demo_people = existing_state()
            if activities:
                raise CommandError(
                    _("数据库中还有 %(n)d 条不属于演示数据的活动记录。演示数据只生成到没有活动记录的数据库里，以免混入真实统计。")
                    % {"n": activities}
                )
        elif activities:
            raise CommandError(
                _("数据库中已有 %(n)d 条活动记录，不生成演示数据。要替换以前生成的演示数据，请加 --reset。") % {"n": activities}
            )
        elif demo_people:
            raise CommandError(_("数据库中已有 %(n)d 名演示人员。要重新生成，请加 --reset。") % {"n": demo_people})
        return True

    def report(self, plan, figures, result, loop_result, seconds, password):
        out = self.stdout.write

        def listing(counts, choices):
            # In the order the choices are declared, not the database's.
            return "，".join(f"{label} {counts[key]}" for key, label in choices if counts.get(key))

        def total(counts):
            return sum(counts.values())

        levels, compliance = figures["levels"], figures["compliance"]
        out(self.style.SUCCESS(_("✓ 演示数据已生成（用时 %(s).0f 秒）") % {"s": seconds}))
        out(_("  人员 %(n)d 人：%(detail)s")
            % {"n": total(figures["people_by_role"]), "detail": listing(figures["people_by_role"], Role.choices)})
        out(_("    人大代表：%(detail)s") % {"detail": listing(levels[Role.DEPUTY], Level.choices)})
        out(_("    河长：%(detail)s；河长任命 %(n)d 条")
            % {"detail": listing(levels[Role.CHIEF], Level.choices), "n": figures["assignments"]})
        out(_("  队伍 %(n)d 支：%(detail)s")
            % {"n": total(figures["teams_by_kind"]), "detail": listing(figures["teams_by_kind"], Team.Kind.choices)})
        out(_("  活动 %(n)d 条：%(detail)s")
            % {"n": total(figures["activities_by_kind"]), "detail": listing(figures["activities_by_kind"], Activity.Kind.choices)})
        out(_("    审核：%(detail)s") % {"detail": listing(figures["activities_by_status"], Activity.Status.choices)})
        out(_("    河长巡河：符合要求 %(ok)d 次，未达最低时长或里程 %(short)d 次")
            % {"ok": compliance.get(True, 0), "short": compliance.get(False, 0)})
        out(_("  服务记录 %(n)d 条（一人参加一次活动为一条；目标 %(target)d 条）")
            % {"n": figures["service_records"], "target": planner.MIN_SERVICE_RECORDS})
        out(_("  巡河里程 %(km).1f 公里，河段巡查记录 %(visits)d 条，清理垃圾 %(kg).1f 公斤")
            % {"km": figures["distance_m"] / 1000, "visits": figures["reach_visits"], "kg": figures["debris_kg"]})
        out(_("  现场问题 %(n)d 个（几处反复出问题的地点，加上零星问题，供热点分析）") % {"n": figures["problems"]})
        out(_("  责任单位 %(n)d 个：%(detail)s；成员 %(members)d 人次")
            % {"n": total(figures["units_by_kind"]), "detail": listing(figures["units_by_kind"], ResponsibleUnit.Kind.choices),
               "members": figures["unit_members"]})
        out(_("  问题清单 %(n)d 个：%(detail)s")
            % {"n": total(figures["problems_by_source"]), "detail": listing(figures["problems_by_source"], Source.choices)})
        out(_("    状态：%(detail)s") % {"detail": listing(figures["problems_by_state"], State.choices)})
        out(_("    结果：%(detail)s") % {"detail": listing(figures["problems_by_ending"], Ending.choices)})
        out(_("    逾期升级 %(escalated)d 个，督办 %(supervised)d 个，重新打开 %(reopened)d 个；办理记录 %(events)d 条，回头看 %(follow_ups)d 个")
            % {"escalated": figures["problems_escalated"], "supervised": figures["problems_supervised"],
               "reopened": figures["problems_reopened"], "events": figures["problem_events"],
               "follow_ups": loop_result.follow_ups})
        if loop_result.skipped_runs:
            out(_("    其中 %(n)d 次每日提醒未模拟（会涉及非演示问题）") % {"n": loop_result.skipped_runs})
        if result.reviewer_fallbacks:
            out(_("    其中 %(n)d 条由工作人员审核（活动吸附到了计划以外的河道，原定审核人无权审核）")
                % {"n": result.reviewer_fallbacks})
        out(_("  积分 %(n)d 条明细，%(people)d 人有积分：审核通过与问题受理、解决获得 %(earned)s 分，"
              "人工调整 %(adjustments)d 次（%(adjusted)s 分）；积分超市物品 %(items)d 种，兑换 %(redemptions)d 次、%(redeemed)s 分")
            % {"n": figures["point_entries"], "people": figures["points_people"], "earned": figures["points_earned"],
               "adjustments": figures["points_adjustments"], "adjusted": figures["points_adjusted"],
               "items": figures["items"], "redemptions": figures["redemptions"], "redeemed": figures["points_redeemed"]})
        out(_("  演示账号（密码 %(password)s）：") % {"password": password})
        people = {p.key: p for p in plan.people}
        for label, key in plan.logins.items():
            out(f"    {people[key].username:<22} {people[key].name}（{LOGIN_LABELS.get(label, label)}）")
