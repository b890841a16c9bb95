"""The demo's closed loop (问题清单 + 闭环): responsible units, the problems the office enters (a hotline
call, an inspection, a deputy's suggestion) and the public's reports, and each demo problem's way
through the life cycle as a district would have seen it.

`plan_closed_loop` decides everything from the plan's seed and end, writes nothing, and leaves the
rest of the plan as it was (a random stream of its own). `write_closed_loop` makes every move through
problems.services.act, at the moment it happened: the services stamp events with timezone.now(),
so each call runs with the demo's clock there (clock.frozen_at), in the order the moves happened
across all problems, with the daily run (services.escalate_overdue, and plan_follow_ups on a
quarter's first day) at 07:30 of every day in between. Nothing is written after the plan's last day.

Demo problems the office entered carry a client uuid in DEMO_PROBLEM_UUIDS (version 8, which no
phone's uuid4 and no activity's uuid5 can be), so reset.py finds the public's reports too, which
have no reporter. Demo units are the units whose members are all demo people (reset.py).
"""

from __future__ import annotations

import heapq
import io
import itertools
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from people.models import CHIEF_LEVELS_LOW_TO_HIGH, ChiefAssignment, Level, Role
from problems import selectors, services
from problems.models import Action, FollowUp, NotFixedReason, Problem, ResponsibleUnit, Source, State
from waterways.models import Town, Village

from .clock import frozen_at
from .network import Network
from .planner import DEMO_NOTE, TZ, Plan
from .points_ledger import credit_move
from .writer import problem_uuid

# The uuids of the problems the demo enters itself: d3e7de40-0000-8000-8000-<number>.
DEMO_PROBLEM_UUIDS = (uuid.UUID("d3e7de40-0000-8000-8000-000000000000"), uuid.UUID("d3e7de40-0000-8000-8000-ffffffffffff"))
DAILY_RUN = time(7, 30)  # the cron line in docs/problems.md
LAST_MOVE = time(18, 0)  # on the plan's last day, nothing later
DEMO_TAG = "（演示）"  # added to a demo unit's name when a real unit has it already

# Departments: illustrative, with generic names (no real office is meant).
DEPARTMENTS = {
    "housing": "区住建局", "ecology": "区生态环境分局", "water": "区水利和湖泊局", "urban": "区城管局",
}
DEPARTMENT_FOR = {
    "garbage": "urban", "dumping": "urban", "other": "urban", "sewage": "ecology", "water_quality": "ecology",
    "encroachment": "water", "sand_mining": "water", "facility": "housing",
}
# How often a category goes to a department rather than the village or town where it is.
DEPARTMENT_SHARE = {
    "garbage": 0.05, "dumping": 0.4, "other": 0.2, "sewage": 0.6, "water_quality": 0.8, "encroachment": 0.9,
    "sand_mining": 0.9, "facility": 0.5,
}

# The moves of each way a problem can go (the report itself comes first). A move that would fall
# after the plan's last day is not made: a recent problem stops where it has got to by then.
FATES = {
    "waiting": [],
    "accepted": ["accept"],
    "assigned": ["accept", "assign"],
    "in_progress": ["accept", "assign", "start"],
    "resolved": ["accept", "assign", "start", "resolve"],
    "fixed": ["accept", "assign", "start", "resolve", "verify"],
    "fixed_at_once": ["accept", "assign", "resolve", "verify"],
    "sent_back": ["accept", "assign", "start", "resolve", "send_back", "resolve", "verify"],
    "late": ["accept", "assign", "start", "resolve_late", "verify"],
    "overdue": ["accept", "assign", "start"],  # never resolved: the daily run escalates it
    "overdue_untouched": ["accept", "assign"],
    "supervised": ["accept", "assign", "start", "supervise"],
    "not_fixed": ["accept", "assign", "start", "close"],
    "referred": ["accept", "close"],
    "invalid": ["reject"],
    "duplicate": ["merge"],
    "reopened": ["accept", "assign", "start", "resolve", "verify", "reopen", "start", "resolve", "verify"],
}
# Patrol problems: by age at the plan's end. Younger ones are cut short by the end anyway.
OLD_FATES = {"fixed": 0.5, "fixed_at_once": 0.12, "sent_back": 0.06, "late": 0.08, "not_fixed": 0.06, "referred": 0.03,
             "invalid": 0.04, "duplicate": 0.05, "overdue": 0.04, "reopened": 0.02}
RECENT_FATES = {"fixed": 0.6, "fixed_at_once": 0.1, "not_fixed": 0.05, "invalid": 0.05, "duplicate": 0.08,
                "overdue": 0.12}
OVERDUE_AGE_DAYS = (12, 150)  # a problem left open for longer would have been chased

RESOLVE_NOTES = {
    "garbage": ["已组织护河员打捞河面漂浮物，清运垃圾 {n} 袋", "已清理桥下和回水湾漂浮物，恢复河面整洁"],
    "sewage": ["已封堵排污暗管，督促沿街商户接入市政管网", "已疏通溢流管道，雨污混接点完成改造"],
    "dumping": ["已清运建筑垃圾约 {n} 车，设置禁倒警示牌", "已清理河滩垃圾，约谈倾倒人员"],
    "encroachment": ["违建棚子已拆除，岸线恢复原状"],
    "sand_mining": ["已联合执法制止采砂，回填砂坑"],
    "water_quality": ["已排查上游排口，关停违规排放点，水质恢复", "已打捞死鱼，采样送检，水质指标正常"],
    "facility": ["已更换损坏护栏 {n} 米", "警示牌已重新安装加固", "公示牌已更新内容"],
    "other": ["已清理倒伏树木，河道恢复畅通", "已劝离并设置安全警示标识"],
}
VERIFY_NOTES = ["现场核验，已整改到位", "复查无反弹，同意销号", "", ""]
SEND_BACK_NOTES = ["现场查看仍未整改到位，请重新处理", "整改照片与现场不符，请补充整改", "只处理了一部分，请彻底整改后再报"]
REJECT_NOTES = ["现场核查未发现所报问题", "所报位置不在本区河道范围内", "属正常施工围挡，手续齐全，不构成问题"]
CLOSE_NOTES = {
    NotFixedReason.NOT_OURS: "经核查为市政道路排水设施，不属于河道管理范围，已告知报告人",
    NotFixedReason.REFERRED: "涉及违法建设，已移交区自然资源和规划部门立案查处",
    NotFixedReason.NO_ACTION: "属历史遗留问题，需纳入河道综合治理项目统筹解决，暂无法进一步处理",
}
SUPERVISE_NOTE = "逾期未办结，区河长办督办：请于新期限前办结并上传整改照片"
REOPEN_NOTE = "回访发现问题反弹，重新交办"
REINSPECT_NOTES = ["回头看：整改效果保持良好", "回头看：未见反弹"]


# --- The plan ----------------------------------------------------------------------------------

@dataclass
class PlannedUnit:
    key: str  # "dept:ecology", "town:<code>", "village:<code>"
    name: str
    kind: str
    town: str | None = None
    village: str | None = None
    members: list = field(default_factory=list)  # person keys
    supervisor: str | None = None


@dataclass
class OfficeProblem:
    """A problem the demo enters itself: by the office (hotline, inspection, a deputy's suggestion) or
    the public (by nobody, with a tracking code)."""

    key: str
    number: int
    source: str
    category: str
    note: str
    point: tuple  # (x, y) in metres
    entered_at: datetime
    seen_hours_before: float
    entered_by: str | None  # a staff person's key; None for the public
    deputy: str | None = None  # the deputy's person key
    photo: bool = False

    @property
    def client_uuid(self):
        return uuid.UUID(f"d3e7de40-0000-8000-8000-{self.number:012x}")


@dataclass
class Fate:
    """How a problem goes: its moves, who in the office handles it, where it is sent."""

    name: str
    office: str  # staff person key
    route: str  # "department" or "local"; or a unit key
    verify_by: str = "chief"  # or "staff"
    reason: str = ""  # closing not fixed
    survivor: str | None = None  # merged into: an OfficeProblem key, or a patrol problem's ref
    resolve_note: str = ""  # what the unit writes when it resolves; by default one for the category
    seed: int = 0

    @property
    def steps(self):
        return FATES[self.name]


@dataclass
class ClosedLoopPlan:
    units: list
    office_problems: list
    fates: dict  # ref -> Fate; ref: an OfficeProblem key, or (activity number, problem index)
    horizon: datetime  # no move after this


def plan_closed_loop(plan: Plan, network: Network, *, now=None) -> ClosedLoopPlan:
    """Units, office-entered problems and every demo problem's fate. Writes nothing."""
    rng = random.Random(f"riverwatch-demo/{plan.seed}/closed-loop")
    people = {p.key: p for p in plan.people}
    horizon = datetime.combine(plan.end, LAST_MOVE, tzinfo=TZ)
    if now is not None:
        horizon = min(horizon, now)
    units = _plan_units(plan, network, rng, people)
    office = [p.key for p in plan.people if p.role == Role.STAFF and "河长制" in p.note]
    office_problems = _plan_office_problems(plan, network, rng, people, office)
    fates = {}
    for problem in office_problems:
        fate_name, extra = OFFICE_FATES[problem.key]
        fates[problem.key] = Fate(name=fate_name, office=rng.choice(office), route=extra.get("unit", "local"),
                                  verify_by=extra.get("verify_by", "chief"), reason=extra.get("reason", ""),
                                  survivor=extra.get("survivor"), resolve_note=extra.get("resolve_note", ""),
                                  seed=rng.getrandbits(32))
    fates.update(_plan_patrol_fates(plan, rng, office))
    return ClosedLoopPlan(units=units, office_problems=office_problems, fates=fates, horizon=horizon)


def _plan_units(plan, network, rng, people):
    with_login = {p.key for p in plan.people if p.login}
    district_chiefs = [p.key for p in plan.people if p.role == Role.CHIEF and p.level == Level.DISTRICT]
    township_chiefs = {p.town: p.key for p in plan.people
                       if p.role == Role.CHIEF and p.level == Level.TOWNSHIP and p.active_until is None}
    workers = [p.key for p in plan.people if p.role == Role.POST_WORKER and p.key in with_login]
    units = []
    # Departments: post workers on the department's river duty act for it; a district chief (the
    # district leader in charge) hears when it runs late.
    for index, (key, name) in enumerate(DEPARTMENTS.items()):
        units.append(PlannedUnit(
            key=f"dept:{key}", name=name, kind=ResponsibleUnit.Kind.DEPARTMENT,
            members=sorted(rng.sample(workers, k=min(2, len(workers)))),
            supervisor=district_chiefs[index % len(district_chiefs)] if district_chiefs else None,
        ))
    # Each town's or street's government: its township chief and a post worker of the town act for it.
    for code, town_name in network.towns:
        suffix = "办事处" if town_name.endswith("街道") else "管委会" if town_name.endswith(("开发区", "新区")) else "人民政府"
        local_workers = [k for k in workers if people[k].town == code]
        members = ([township_chiefs[code]] if code in township_chiefs else []) + local_workers[:1]
        if not members and workers:
            members = [workers[len(units) % len(workers)]]  # a unit needs someone to act for it
        chiefs_here = [k for k in district_chiefs if people[k].town == code]
        units.append(PlannedUnit(
            key=f"town:{code}", name=f"{town_name}{suffix}", kind=ResponsibleUnit.Kind.TOWN, town=code,
            members=members, supervisor=(chiefs_here or district_chiefs or [None])[0],
        ))
    # The villages with gullies (where the village teams work): the village chief and the post
    # workers act for the village committee; the township chief hears when it runs late.
    for team in plan.teams:
        if team.kind != "village" or not team.village or team.village not in network.villages:
            continue
        current = [k for k in team.chief_keys if people[k].active_until is None]
        units.append(PlannedUnit(
            key=f"village:{team.village}", name=network.villages[team.village][0], kind=ResponsibleUnit.Kind.VILLAGE,
            town=team.town, village=team.village,
            members=[k for k in current + team.worker_keys if k in with_login],
            supervisor=township_chiefs.get(team.town),
        ))
    return units


# The office's own entries, each with the way it goes: days before the plan's end it was entered,
# its source and category, and what happens to it. They make sure every ending and every open state
# is in the demo, whatever the scale.
OFFICE_PROBLEMS = [
    # key, days before the end, source, category, note
    ("H1", 40, Source.HOTLINE, "garbage", "市民来电：桥下回水湾漂着大量塑料瓶和泡沫"),
    ("H2", 30, Source.HOTLINE, "sewage", "市民来电：河边暗管往河里排黑水，气味很大"),
    ("I1", 22, Source.INSPECTION, "dumping", "督查发现：河道管理范围内堆放建筑垃圾约 20 立方米"),
    ("H3", 21, Source.HOTLINE, "dumping", "市民来电：河边有人夜里倒渣土"),
    ("I2", 50, Source.INSPECTION, "encroachment", "督查发现：河岸新建彩钢瓦棚，侵占河道管理范围"),
    ("I3", 35, Source.INSPECTION, "sand_mining", "暗访发现：河床有新的挖砂痕迹和车辙"),
    ("D1", 75, Source.DEPUTY, "facility", "代表建议：学校旁河段护栏缺损，学生上下学存在安全隐患，建议尽快修复"),
    ("D2", 6, Source.DEPUTY, "water_quality", "代表建议：近期河水发绿有异味，建议排查上游排污"),
    ("H4", 3, Source.HOTLINE, "garbage", "市民来电：河面有死鸡和生活垃圾"),
    ("H5", 45, Source.HOTLINE, "other", "市民来电：河里有大量死鱼"),
    ("H6", 5, Source.HOTLINE, "garbage", "市民来电：岸边堆着秸秆和垃圾袋"),
    ("I4", 80, Source.INSPECTION, "garbage", "督查发现：干沟沟底长年堆积生活垃圾"),
    ("I5", 28, Source.INSPECTION, "dumping", "督查发现：河滩有生活垃圾堆放点"),
    ("P3", 12, Source.PUBLIC, "sewage", "扫码反映：这里一直往河里排污水"),
    ("P4", 9, Source.PUBLIC, "garbage", "扫码反映：河边垃圾没人清理"),
    ("P1", 1, Source.PUBLIC, "garbage", "扫码反映：河面上漂着很多白色垃圾"),
    ("P2", 0, Source.PUBLIC, "dumping", "扫码反映：有人往河里倒装修垃圾"),
]
OFFICE_FATES = {
    "H1": ("fixed", {"verify_by": "chief"}),
    "H2": ("overdue", {"unit": "dept:ecology"}),
    "I1": ("late", {"unit": "dept:urban", "verify_by": "staff"}),
    "H3": ("duplicate", {"survivor": "I1"}),
    "I2": ("referred", {"reason": NotFixedReason.REFERRED}),
    "I3": ("supervised", {"unit": "dept:water"}),
    "D1": ("reopened", {"unit": "dept:water", "resolve_note": "已修复学校旁河段护栏 {n} 米，设置警示标识"}),
    "D2": ("assigned", {"unit": "dept:ecology"}),
    "H4": ("in_progress", {}),
    "H5": ("invalid", {}),
    "H6": ("resolved", {}),
    "I4": ("not_fixed", {"reason": NotFixedReason.NO_ACTION}),
    "I5": ("overdue_untouched", {}),
    "P3": ("duplicate", {"survivor": "H2"}),
    "P4": ("fixed", {"verify_by": "chief"}),
    "P1": ("waiting", {}),
    "P2": ("waiting", {}),
}
SAME_PLACE_AS = {"H3": "I1", "P3": "H2"}  # duplicates: reported again where the first one is


def _plan_office_problems(plan, network, rng, people, office):
    # On gullies and rivers people live by: every waterway but the remotest, by code.
    ways = sorted(network.ways)
    deputies = sorted(p.key for p in plan.people if p.role == Role.DEPUTY and p.level == Level.DISTRICT)
    planned = {}
    for number, (key, days, source, category, note) in enumerate(OFFICE_PROBLEMS, start=1):
        if key in SAME_PLACE_AS:
            first = planned[SAME_PLACE_AS[key]]
            point = (first.point[0] + rng.uniform(-8, 8), first.point[1] + rng.uniform(-8, 8))
        else:
            way = network.ways[rng.choice(ways)]
            x, y, ux, uy = way.at(rng.uniform(0.2, 0.8) * way.length)
            side = rng.choice([-1, 1]) * rng.uniform(3, 20)
            point = (x - uy * side, y + ux * side)
        day = plan.end - timedelta(days=days)
        public = source == Source.PUBLIC
        # The public scan any time of day; the office enters calls and inspections in office hours.
        hour = rng.uniform(7, 17.5) if public else rng.uniform(8.7, 17.2)
        entered_at = datetime.combine(day, time(0), tzinfo=TZ) + timedelta(hours=hour)
        if not public:
            entered_at = _office_hours(entered_at, rng)
        planned[key] = OfficeProblem(
            key=key, number=number, source=source, category=category, note=note, point=point, entered_at=entered_at,
            seen_hours_before=rng.uniform(0.2, 2) if public else rng.uniform(1, 20),
            entered_by=None if public else rng.choice(office),
            deputy=rng.choice(deputies) if source == Source.DEPUTY and deputies else None, photo=public,
        )
    return list(planned.values())


def _plan_patrol_fates(plan, rng, office):
    fates = {}
    recent_by_category = {}  # category -> [(day, ref)] of patrol problems, to merge duplicates into
    for activity in plan.activities:
        age = (plan.end - activity.started_at.date()).days
        for index, problem in enumerate(activity.problems):
            ref = (activity.number, index)
            table = OLD_FATES if age > 20 else RECENT_FATES
            name = rng.choices(list(table), list(table.values()))[0]
            survivor = None
            if name == "duplicate":
                earlier = [r for day, r in recent_by_category.get(problem.category, [])
                           if 0 <= (activity.started_at.date() - day).days <= 10 and fates[r].name in ("late", "overdue")]
                if earlier:
                    survivor = earlier[-1]
                else:
                    name = "fixed"
            if name == "overdue" and not OVERDUE_AGE_DAYS[0] <= age <= OVERDUE_AGE_DAYS[1]:
                name = "fixed"
            route = "department" if rng.random() < DEPARTMENT_SHARE[problem.category] else "local"
            reason = rng.choice(list(NotFixedReason.values)) if name == "not_fixed" else \
                NotFixedReason.NOT_OURS if name == "referred" else ""
            fates[ref] = Fate(name=name, office=rng.choice(office), route=route,
                              verify_by="chief" if rng.random() < 0.75 else "staff", reason=reason, survivor=survivor,
                              seed=rng.getrandbits(32))
            recent_by_category.setdefault(problem.category, []).append((activity.started_at.date(), ref))
    return fates


# --- Times -------------------------------------------------------------------------------------

def _office_hours(moment, rng):
    """The next moment the office is at work (Monday to Friday, 08:30–17:30), from `moment`."""
    local = moment.astimezone(TZ)
    opens, closes = time(8, 30), time(17, 30)
    if local.weekday() < 5 and opens <= local.time() <= closes:
        return local
    day = local.date() + timedelta(days=0 if local.time() < opens else 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=TZ) + timedelta(minutes=rng.uniform(0, 90))


def _field_hours(moment, rng):
    """The next moment people work outside (07:30–19:00, any day), from `moment`."""
    local = moment.astimezone(TZ)
    if time(7, 30) <= local.time() <= time(19, 0):
        return local
    day = local.date() + timedelta(days=0 if local.time() < time(7, 30) else 1)
    return datetime.combine(day, time(7, 30), tzinfo=TZ) + timedelta(minutes=rng.uniform(0, 120))


def _deadline_end(problem):
    return datetime.combine(problem.deadline, time(17, 30), tzinfo=TZ)


def _next_time(step, previous, moment, problem, rng):
    """When `step` happens, after `previous` happened at `moment`."""
    hours = timedelta(hours=1)
    if step == "accept":
        return _office_hours(moment + rng.uniform(0.5, 26) * hours, rng)
    if step == "assign":
        return _office_hours(moment + rng.uniform(0.1, 5) * hours, rng)
    if step in ("reject", "merge"):
        return _office_hours(moment + rng.uniform(0.5, 30) * hours, rng)
    if step == "close":
        days = rng.uniform(0.2, 3) if previous == "accept" else rng.uniform(2, 12)
        return _office_hours(moment + timedelta(days=days), rng)
    if step == "start":
        return _field_hours(moment + rng.uniform(1, 36) * hours, rng)
    if step == "resolve":
        left = _deadline_end(problem) - moment if problem.deadline else timedelta(days=3)
        if left < timedelta(hours=6):
            left = timedelta(days=rng.uniform(1, 3))
        return _field_hours(moment + left * rng.uniform(0.2, 0.85), rng)
    if step == "resolve_late":
        return _field_hours(_deadline_end(problem) + timedelta(days=rng.uniform(1, 8)), rng)
    if step in ("verify", "send_back"):
        return _field_hours(moment + rng.uniform(3, 72) * hours, rng)
    if step == "supervise":
        return _office_hours(_deadline_end(problem) + timedelta(days=rng.uniform(2, 6)), rng)
    if step == "reopen":
        return _field_hours(moment + timedelta(days=rng.uniform(15, 40)), rng)
    raise ValueError(step)


# --- Photos ------------------------------------------------------------------------------------

def scene_jpeg(key: str, size=(480, 360)) -> bytes:
    """A small deterministic JPEG standing for a photo at the river: sky, far bank, water, near
    bank, a few things on it; `key` decides the colours and shapes, so every photo is different."""
    rng = random.Random(f"riverwatch-demo/photo/{key}")
    width, height = size
    image = Image.new("RGB", size, (rng.randrange(150, 200), rng.randrange(190, 220), rng.randrange(225, 250)))
    draw = ImageDraw.Draw(image)
    far = int(height * rng.uniform(0.25, 0.4))
    water = int(height * rng.uniform(0.55, 0.7))
    draw.rectangle([0, far, width, water - 20], fill=(rng.randrange(60, 110), rng.randrange(110, 150), rng.randrange(50, 90)))
    draw.rectangle([0, water - 20, width, water + 40],
                   fill=(rng.randrange(60, 100), rng.randrange(100, 140), rng.randrange(110, 150)))
    draw.polygon([(0, water + 30), (width, water + 10), (width, height), (0, height)],
                 fill=(rng.randrange(120, 170), rng.randrange(110, 140), rng.randrange(80, 110)))
    for _shape in range(rng.randint(3, 9)):
        x, y = rng.randrange(width), rng.randrange(water, height)
        r = rng.randrange(4, 18)
        draw.ellipse([x - r, y - r // 2, x + r, y + r // 2],
                     fill=(rng.randrange(90, 230), rng.randrange(90, 230), rng.randrange(90, 230)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


# --- Writing -----------------------------------------------------------------------------------

@dataclass
class LoopResult:
    units: int = 0
    office_problems: int = 0
    moves: Counter = field(default_factory=Counter)
    escalated: int = 0
    follow_ups: int = 0
    fallbacks: int = 0  # moves the office made because the planned person could not
    skipped_runs: int = 0  # daily runs left out: they would have touched problems that are not the demo's
    stopped: int = 0  # problems whose way was cut short by a move the services refused


def write_units(loop: ClosedLoopPlan, directory) -> dict:
    """The demo's units, {planned key: unit}. A name a real unit has already gets DEMO_TAG."""
    taken = set(ResponsibleUnit.objects.values_list("name", flat=True))
    towns = Town.objects.in_bulk(field_name="code")
    villages = Village.objects.in_bulk(field_name="code")
    written = {}
    for planned in loop.units:
        unit = ResponsibleUnit(
            name=planned.name if planned.name not in taken else f"{planned.name}{DEMO_TAG}", kind=planned.kind,
            town=towns.get(planned.town), village=villages.get(planned.village),
            supervisor=directory.people[planned.supervisor] if planned.supervisor else None,
        )
        unit.full_clean(exclude=["area"])  # no area drawn: Django cannot check isvalid on none
        unit.save()
        unit.members.set([directory.people[key] for key in planned.members])
        written[planned.key] = unit
    return written


class _Writer:
    def __init__(self, plan, loop, directory, units, result):
        self.plan, self.loop, self.directory, self.units, self.result = plan, loop, directory, units, result
        self.ids = {}  # ref -> problem id
        self.demo_ids = set()
        self.heap = []
        self.order = itertools.count()
        self.person_of_user = {user.pk: key for key, user in directory.users.items()}

    # Scheduling ---------------------------------------------------------------------------
    def push(self, moment, kind, ref=None, step=0):
        if moment <= self.loop.horizon:
            heapq.heappush(self.heap, (moment, next(self.order), kind, ref, step))

    def events(self):
        while self.heap:
            yield heapq.heappop(self.heap)

    def schedule_next(self, ref, step, moment):
        fate = self.loop.fates[ref]
        if step >= len(fate.steps):
            return
        rng = random.Random(f"{fate.seed}/{step}")
        problem = Problem.objects.get(pk=self.ids[ref])
        previous = fate.steps[step - 1] if step else "report"
        self.push(_next_time(fate.steps[step], previous, moment, problem, rng), "move", ref, step)

    # People -------------------------------------------------------------------------------
    def user(self, key):
        return self.directory.users[key]

    def staff(self, fate):
        return self.user(fate.office)

    def chiefs(self, problem, day, exclude=None):
        """Logins of the demo chiefs over the problem's waterway on `day`, the nearest level first."""
        ways, way = [], problem.waterway
        while way is not None:
            ways.append(way.pk)
            way = way.parent
        posts = (ChiefAssignment.objects.filter(waterway_id__in=ways, since__lte=day)
                 .filter(Q(until__isnull=True) | Q(until__gte=day))
                 .filter(person__note__startswith=DEMO_NOTE, person__user__isnull=False)
                 .select_related("person__user").order_by("pk"))
        ranked = sorted(posts, key=lambda post: (CHIEF_LEVELS_LOW_TO_HIGH.index(post.level), post.pk))
        users = []
        for post in ranked:
            if post.person.user_id != exclude and post.person.user not in users:
                users.append(post.person.user)
        return users

    def members(self, problem):
        return list(problem.unit.members.filter(user__isnull=False).select_related("user").order_by("pk")) \
            if problem.unit_id else []

    def unit_for(self, problem, fate, rng):
        if fate.route in self.units:
            return self.units[fate.route]
        if fate.route == "department":
            return self.units[f"dept:{DEPARTMENT_FOR[problem.category]}"]
        way = problem.waterway
        for key in ([f"village:{way.village.code}"] if way is not None and way.village_id else []) + \
                   ([f"town:{way.town.code}"] if way is not None and way.town_id else []):
            if key in self.units and self.units[key].members.exists():
                return self.units[key]
        return self.units[f"dept:{DEPARTMENT_FOR[problem.category]}"]

    # Moves --------------------------------------------------------------------------------
    def act(self, problem, users, move):
        """The move by the first of `users` the services allow; None if none may make it."""
        for attempt, user in enumerate(users):
            try:
                event = services.act(problem=problem, user=user, move=move)
            except PermissionDenied:
                continue
            self.result.fallbacks += attempt > 0
            self.result.moves[move.action] += 1
            if event is not None:
                credit_move(event)  # the reporter's points, at the move's moment
            return event
        return None

    def report(self, office_problem):
        planned = office_problem
        x, y = planned.point
        new = services.NewProblem(
            category=planned.category, note=planned.note, point=Point(x, y, srid=settings.GIS_SRID),
            observed_at=planned.entered_at - timedelta(hours=planned.seen_hours_before), client_uuid=planned.client_uuid,
        )
        by = self.user(planned.entered_by) if planned.entered_by else None
        problem = services.report(
            by=by, source=planned.source, new=new,
            deputy=self.directory.people[planned.deputy] if planned.deputy else None,
            photos=[scene_jpeg(f"{planned.key}/report")] if planned.photo else (), tracking=planned.source == Source.PUBLIC,
        )
        self.ids[planned.key] = problem.pk
        self.demo_ids.add(problem.pk)
        self.result.office_problems += 1
        return problem

    def move(self, ref, step, moment):
        fate = self.loop.fates[ref]
        name = fate.steps[step]
        rng = random.Random(f"{fate.seed}/{step}/who")
        problem = Problem.objects.select_related("unit", "waterway__parent__parent").get(pk=self.ids[ref])
        staff = [self.staff(fate)] + [self.user(k) for k in self.office_keys if k != fate.office]
        day = moment.astimezone(TZ).date()
        note = ""
        if name == "accept":
            move = services.Move(action=Action.ACCEPT)
            users = staff
        elif name == "assign":
            move = services.Move(action=Action.ASSIGN, unit=self.unit_for(problem, fate, rng))
            users = staff
        elif name == "start":
            users = [m.user for m in self.members(problem)]
            rng.shuffle(users)
            move = services.Move(action=Action.START)
        elif name in ("resolve", "resolve_late"):
            users = [m.user for m in self.members(problem)]
            rng.shuffle(users)
            note = (fate.resolve_note or rng.choice(RESOLVE_NOTES[problem.category])).format(n=rng.randint(2, 12))
            move = services.Move(action=Action.RESOLVE, note=note, photos=(scene_jpeg(f"{ref}/{step}"),))
        elif name in ("verify", "send_back"):
            # A chief from outside the unit checks its work when there is one.
            members = {m.user_id for m in self.members(problem)}
            chiefs = sorted(self.chiefs(problem, day, exclude=problem.resolved_by_id), key=lambda user: user.pk in members)
            users = chiefs + staff if fate.verify_by == "chief" else staff + chiefs
            note = rng.choice(VERIFY_NOTES) if name == "verify" else rng.choice(SEND_BACK_NOTES)
            move = services.Move(action=Action.VERIFY if name == "verify" else Action.SEND_BACK, note=note)
        elif name == "close":
            reason = fate.reason or NotFixedReason.NO_ACTION
            move = services.Move(action=Action.CLOSE_NOT_FIXED, reason=reason, note=CLOSE_NOTES[reason])
            users = staff
        elif name == "reject":
            move = services.Move(action=Action.REJECT, note=rng.choice(REJECT_NOTES))
            users = staff
        elif name == "merge":
            survivor = Problem.objects.get(pk=self.ids[fate.survivor]) if fate.survivor in self.ids else None
            if survivor is None or survivor.state == State.CLOSED:
                # The first report was dealt with already: this one was nothing new.
                move = services.Move(action=Action.REJECT, note=_("重复上报，原问题已办结"))
            else:
                move = services.Move(action=Action.MERGE, duplicate_of=survivor,
                                     note=_("与 #%(id)s 为同一问题，合并办理") % {"id": survivor.pk})
            users = staff
        elif name == "supervise":
            move = services.Move(action=Action.SUPERVISE, note=SUPERVISE_NOTE, deadline=day + timedelta(days=30))
            users = staff
        elif name == "reopen":
            move = services.Move(action=Action.REOPEN, note=REOPEN_NOTE)
            users = self.chiefs(problem, day) + staff
        else:
            raise ValueError(name)
        try:
            event = self.act(problem, users, move)
        except ValidationError:
            event = None
        if event is None:
            self.result.stopped += 1
            return
        self.schedule_next(ref, step + 1, moment)

    def daily_run(self, moment):
        """What the cron line does at 07:30, as far as the demo's problems go: escalate the overdue,
        and on a quarter's first day plan the last quarter's re-inspections."""
        day = moment.astimezone(TZ).date()
        due = selectors.overdue(day).filter(escalated_at__isnull=True)
        if due.exclude(pk__in=self.demo_ids).exists():
            self.result.skipped_runs += 1
        elif due.exists():
            self.result.escalated += len(services.escalate_overdue(now=moment))
        if day.day == 1 and day.month in (1, 4, 7, 10):
            last = day - timedelta(days=1)
            quarter = (last.month - 1) // 3 + 1
            first = date(last.year, 3 * quarter - 2, 1)
            fixed = Problem.objects.filter(ending="fixed", closed_at__gte=datetime.combine(first, time(0), tzinfo=TZ),
                                           closed_at__lt=datetime.combine(day, time(0), tzinfo=TZ))
            if fixed.exclude(pk__in=self.demo_ids).exists():
                self.result.skipped_runs += 1
                return
            self.result.follow_ups += services.plan_follow_ups(year=last.year, quarter=quarter)
            rng = random.Random(f"{self.plan.seed}/follow-ups/{day}")
            for follow_up in FollowUp.objects.filter(quarter=f"{last.year}Q{quarter}", problem_id__in=self.demo_ids):
                # Most re-inspections are done in time, some not yet.
                if rng.random() < 0.7:
                    when = _field_hours(moment + timedelta(days=rng.uniform(3, 25)), rng)
                    if local_date(when) <= follow_up.due:
                        self.push(when, "reinspect", follow_up.problem_id)

    def reinspect(self, problem_id, moment):
        problem = Problem.objects.select_related("waterway__parent__parent").get(pk=problem_id)
        if problem.state != State.CLOSED or problem.ending != "fixed":
            return
        rng = random.Random(f"{self.plan.seed}/reinspect/{problem.client_uuid}")
        fate_staff = [self.user(k) for k in self.office_keys]
        users = self.chiefs(problem, moment.astimezone(TZ).date()) + fate_staff
        self.act(problem, users, services.Move(action=Action.REINSPECT, passed=True, note=rng.choice(REINSPECT_NOTES)))

    def run(self, progress):
        plan, loop = self.plan, self.loop
        self.office_keys = sorted({fate.office for fate in loop.fates.values()})
        office = {p.key: p for p in loop.office_problems}
        for planned in loop.office_problems:
            self.push(planned.entered_at, "report", planned.key)
        found = {}
        for activity in plan.activities:
            for index, _problem in enumerate(activity.problems):
                found[problem_uuid(activity, index)] = (activity.number, index)
        for pk, client_uuid in Problem.objects.filter(client_uuid__in=list(found)).values_list("pk", "client_uuid"):
            self.ids[found[client_uuid]] = pk
            self.demo_ids.add(pk)
        first = None
        for ref, pk in self.ids.items():
            reported = Problem.objects.get(pk=pk).events.order_by("at", "pk").first().at
            first = reported if first is None else min(first, reported)
            self.schedule_next(ref, 0, reported)
        if loop.office_problems:
            earliest = min(p.entered_at for p in loop.office_problems)
            first = earliest if first is None else min(first, earliest)
        if first is not None:
            day = first.astimezone(TZ).date() + timedelta(days=1)
            while day <= plan.end:
                self.push(datetime.combine(day, DAILY_RUN, tzinfo=TZ), "daily")
                day += timedelta(days=1)
        for moment, _order, kind, ref, step in progress(self.events()):
            with frozen_at(moment):
                if kind == "report":
                    self.report(office[ref])
                    self.schedule_next(ref, 0, moment)
                elif kind == "move":
                    self.move(ref, step, moment)
                elif kind == "daily":
                    self.daily_run(moment)
                elif kind == "reinspect":
                    self.reinspect(ref, moment)


def local_date(moment):
    return moment.astimezone(TZ).date()


def write_closed_loop(plan: Plan, loop: ClosedLoopPlan, directory, *, progress=lambda items: items) -> LoopResult:
    """The units, then every demo problem's moves in the order they happened, each a transaction of
    its own through problems.services (so reporters hear of endings as they would have). Returns a LoopResult."""
    result = LoopResult()
    units = write_units(loop, directory)
    result.units = len(units)
    _Writer(plan, loop, directory, units, result).run(progress)
    return result
