"""The demo's plan: who takes part, their teams and chief posts, what each does when, and the
problems found at the district's trouble spots.

`build_plan` decides everything from a seed, an end date and the network (network.load_network)
and writes nothing: the same seed and end give the same plan, down to each track's random stream.

Demo data is marked: every demo person's note starts with DEMO_NOTE and every demo login's
username with DEMO_USERNAME_PREFIX (reset.py finds the demo by these marks).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from people.models import DEMO_NOTE, Level, Role, Team

from .network import Network
from .tracks import TrackSpec

DEFAULT_SEED = 3200
DEFAULT_END = date(2026, 10, 31)
DEMO_USERNAME_PREFIX = "demo-"
# Every username the planner gives out, and no other (reset.py deletes only these logins).
DEMO_USERNAME_PATTERN = r"^demo-(p[0-9]{4}|volunteer|leader|village-chief|township-chief|staff)$"
MIN_SERVICE_RECORDS = 3200
TARGET_PEOPLE = 400
DAYS = 730  # two years, ending on the end date
# A patrol's planned end: walking time plus room for the GPS gaps its fixes may have.
TRACK_GAP_ALLOWANCE_S = 3600

TZ = ZoneInfo("Asia/Shanghai")

# --- Names -------------------------------------------------------------------------------------

# Common surnames, most frequent first (frequency shapes the weights below).
SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董肖程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
SURNAME_WEIGHTS = [1 / (rank + 6) for rank in range(len(SURNAMES))]
MALE_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁建国峰林海东亮成文俊志永春德新兵龙云松山庆祥福忠胜利荣光宏振学锋浩宇晨阳家富贵红兴"
FEMALE_GIVEN = "芳娟敏静丽艳霞燕玲婷梅琳慧红萍雪琴兰凤洁秀英华佳欣悦颖倩莉娜桂珍玉春晓丹"
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "177", "180", "181", "186", "187", "188", "189", "199",
)

# --- What people write -------------------------------------------------------------------------

PATROL_NOTES = [
    "河道畅通，无明显漂浮物", "汛期加密巡查", "水质清澈，无异味", "发现岸边有少量建筑垃圾，已拍照记录",
    "巡查沿岸排口，未见异常排水", "岸坡有垮塌迹象，已告知村委会", "劝导河边垂钓群众注意安全",
    "河面有少量塑料袋，已顺手清理",
]
CLEANUP_NOTES = [
    "清理河面漂浮物和岸边垃圾", "清理沿岸生活垃圾和塑料袋", "汛后清理岸坡垃圾和树枝",
    "“清源”行动：清理河道淤积垃圾", "“净河”行动：集中清理河道", "清理桥下堆积垃圾",
]
SEWER_FINDINGS = [
    "检查井满溢，污水外溢至路面", "排污口有黑臭水流出", "雨污混接一处", "管道破损渗漏",
    "检查井盖破损，存在安全隐患", "沿街餐饮店油污直排", "排口有泡沫和异味",
]
SEWER_NOTES = ["沿河排查污水管网和排污口", "“清源”行动：排查入河排口", "雨后复查污水检查井"]
SORTING_NOTES = [
    "入户宣传垃圾分类，发放宣传资料 {n} 份", "在村委会广场开展垃圾分类宣传", "指导村民分类投放，更换分类标识牌",
    "“美家”行动：清理房前屋后垃圾，宣传分类投放", "进学校开展垃圾分类小课堂",
]
OTHER_NOTES = ["护河知识进校园宣讲", "河长制政策宣讲", "参加汛期应急演练", "代表进家站接待群众，收集护河意见"]
REJECT_REASONS = ["与同日另一条记录重复。", "参与人员有误，请核实后重新提交。", "活动时间有误，请重新填报。"]
REJECT_REASONS_BY_KIND = {
    "patrol": ["轨迹与所报河道不符，请核实后重新提交。", "轨迹中断时间过长，请补充说明。"],
    "cleanup": ["清理重量明显偏大，请补充说明。", "位置不在河道附近，请核实。"],
    "sewer_inspection": ["排查数量与现场不符，请核实。"],
}

# Spring Festival: most field work pauses for about a week around it.
SPRING_FESTIVAL = {
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
}
# Patrols peak in the flood season (June–September); cleanups in the spring campaign and after floods.
PATROL_SEASON = {1: 0.5, 2: 0.5, 3: 0.9, 4: 1.0, 5: 1.1, 6: 1.3, 7: 1.45, 8: 1.4, 9: 1.2, 10: 1.0, 11: 0.8, 12: 0.65}
CLEANUP_SEASON = {1: 0.6, 2: 0.5, 3: 1.2, 4: 1.3, 5: 1.0, 6: 1.0, 7: 1.3, 8: 1.4, 9: 1.2, 10: 0.9, 11: 0.8, 12: 0.7}
# Weekday factors (Monday first), each averaging 1 over a week.
WEEKDAYS_EVEN = (1, 1, 1, 1, 1, 1, 1)
WEEKDAYS_OFFICE = (1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.5)
WEEKDAYS_WEEKEND = (0.45, 0.45, 0.45, 0.45, 0.45, 2.375, 2.375)
# How far from the channel each kind of work is logged: cleanups on the bank, sewer checks in the
# streets beside it, publicity in the village.
POINT_OFFSET_M = {"cleanup": (3, 30), "sewer_inspection": (20, 120), "garbage_sorting": (40, 160), "other": (20, 150)}
# Problems seen at the river. A few places keep producing the same trouble (an outfall that runs
# black after rain, a lay-by where builders tip rubble), the rest are scattered: so the demo's
# hotspot map has something real to find. Chances are per activity passing by.
TROUBLE_SPOTS = 4
TROUBLE_SPOT_CATEGORIES = ["sewage", "dumping", "garbage", "water_quality"]
TROUBLE_SPOT_CHANCE = {"patrol": 0.6, "cleanup": 0.5, "sewer_inspection": 0.6}
TROUBLE_SPOT_REACH_M = 1000  # how near (along the water) a cleanup or inspection must be to see it
TROUBLE_STRETCH_M = 800  # a spot is a stretch: an outfall fouls the water below it, tipping spreads along a road
STRAY_PROBLEM_CHANCE = {"patrol": 0.08, "cleanup": 0.06, "sewer_inspection": 0.08}
STRAY_CATEGORIES = {"garbage": 0.4, "dumping": 0.2, "sewage": 0.15, "facility": 0.1, "other": 0.15}
PROBLEM_NOTES = {
    "garbage": ["河面漂浮塑料袋和泡沫", "桥下堆积漂浮物", "回水湾里漂着秸秆和塑料瓶"],
    "sewage": ["排污口有黑水流出，有异味", "雨后管道溢流，河水发浑", "岸边暗管在排水"],
    "dumping": ["岸边有人倾倒建筑垃圾", "河滩堆着生活垃圾", "路边倒了几车渣土，靠近河道"],
    "encroachment": ["河岸新搭了棚子"],
    "sand_mining": ["河床有挖沙痕迹"],
    "water_quality": ["水面发黑，有死鱼", "河水发臭，颜色发绿"],
    "facility": ["护栏损坏", "警示牌倒了", "河长公示牌字迹看不清"],
    "other": ["有人在河边钓鱼游泳", "河道里有倒伏的树"],
}

# What deputy groups and volunteer teams do, by share.
DEPUTY_KINDS = {"cleanup": 0.35, "patrol": 0.15, "sewer_inspection": 0.3, "garbage_sorting": 0.15, "other": 0.05}
VOLUNTEER_KINDS = {"cleanup": 0.5, "patrol": 0.2, "garbage_sorting": 0.12, "sewer_inspection": 0.13, "other": 0.05}


# --- The plan ----------------------------------------------------------------------------------

@dataclass
class PlannedPerson:
    key: str
    name: str
    role: str
    level: str = ""
    town: str | None = None
    village: str | None = None
    phone: str = ""
    note: str = ""
    login: bool = False
    username: str = ""
    password_login: str = ""  # the demo login's label ("volunteer", …); empty: no usable password
    weight: float = 1.0  # how keen: shapes who takes part how often
    active_from: date | None = None  # river chiefs replaced during the two years
    active_until: date | None = None


@dataclass
class PlannedTeam:
    name: str
    kind: str
    town: str | None
    village: str | None
    members: list
    leaders: list
    places: list  # (way code, from s, to s): where the team works
    chief_keys: list = field(default_factory=list)  # village teams: the village's chiefs, old and new
    worker_keys: list = field(default_factory=list)  # village teams: the post workers
    diligence: float = 0.0  # village teams: how likely the chief patrols in a given week
    visitor_keys: list = field(default_factory=list)  # village teams: the township chief, who joins only to patrol
    urban: bool = False  # village teams in a 街道: they also check sewers


@dataclass
class PlannedAssignment:
    person: str
    waterway: str
    level: str
    since: date
    until: date | None = None


@dataclass
class PlannedActivity:
    number: int
    kind: str
    submitter: str
    participants: list  # person keys, the submitter first
    started_at: datetime
    duration_s: int  # for activities without a track
    way: str
    track: TrackSpec | None = None
    point: tuple | None = None  # (x, y) in metres
    location_source: str = "gps"
    figures: dict = field(default_factory=dict)
    notes: str = ""
    decision: str = ""  # "", "verify" or "reject"
    reviewers: list = field(default_factory=list)  # person keys, in order of preference
    review_note: str = ""
    receive_delay_s: int = 60
    review_delay_s: int = 86400
    team: PlannedTeam | None = None
    problems: list = field(default_factory=list)  # PlannedProblem, seen during the activity


@dataclass
class PlannedProblem:
    category: str
    note: str
    point: tuple  # (x, y) in metres
    after_s: float  # seconds after the activity's start


@dataclass
class Plan:
    seed: int
    start: date
    end: date
    scale: float
    people: list
    teams: list
    assignments: list
    activities: list
    logins: dict  # label -> person key

    @property
    def service_record_count(self):
        return sum(len(a.participants) for a in self.activities)


def window(end):
    """The two years ending on `end` (inclusive)."""
    return end - timedelta(days=DAYS - 1), end


def build_plan(network: Network, *, seed=DEFAULT_SEED, end=DEFAULT_END, scale=1.0):
    """Everything the demo will write, decided from the seed alone. Nothing is written."""
    if not network.ways:
        raise ValueError("no waterways")
    return _Planner(network, seed, end, scale).plan()


class _Planner:
    def __init__(self, network, seed, end, scale):
        self.net = network
        self.seed = seed
        self.rng = random.Random(f"riverwatch-demo/{seed}")
        self.start, self.end = window(end)
        self.scale = scale
        self.people = []
        self.by_key = {}
        self.names = set()
        self.phones = set()
        self.teams = []
        self.assignments = []
        self.activities = []
        self.busy = {}  # person key → [(start, end)] of planned activities
        self.logins = {}
        self.chiefs_of = {}  # way code -> [(person key, level)] current chiefs

    # People ----------------------------------------------------------------------------------
    def name(self, female_share=0.45):
        for _attempt in range(50):
            surname = self.rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
            pool = FEMALE_GIVEN if self.rng.random() < female_share else MALE_GIVEN
            given = "".join(self.rng.choice(pool) for _ in range(1 if self.rng.random() < 0.3 else 2))
            if surname + given not in self.names:
                break
        self.names.add(surname + given)
        return surname + given

    def phone(self):
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person(self, role, *, level="", town=None, village=None, note="", login_share=0.5, female_share=0.45):
        key = f"p{len(self.people) + 1:04d}"
        person = PlannedPerson(
            key=key, name=self.name(female_share), role=role, level=level, town=town, village=village,
            phone=self.phone() if self.rng.random() < 0.85 else "", note=f"{DEMO_NOTE} {note}".strip(),
            login=self.rng.random() < login_share, weight=self.rng.lognormvariate(0, 0.6),
        )
        person.username = f"{DEMO_USERNAME_PREFIX}{key}"
        self.people.append(person)
        self.by_key[key] = person
        return person

    def random_date(self, first, last):
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    # Places ----------------------------------------------------------------------------------
    def river_stretch(self, river_code, x, y, half_width=1500.0):
        river = self.net.ways[river_code]
        s, _d = river.project(x, y)
        return (river_code, max(0.0, s - half_width), min(river.length, s + half_width))

    def gully_places(self, gully):
        way = self.net.ways[gully]
        places = [(gully, 0.3 * way.length, way.length)]
        if way.parent in self.net.ways:
            places.append(self.river_stretch(way.parent, *way.coords[-1]))
        return places

    def nearest_places(self, x, y, count=2):
        ranked = sorted(self.net.ways.values(), key=lambda way: (way.project(x, y)[1], way.code))
        return [self.river_stretch(way.code, x, y) for way in ranked[:count]]

    def town_places(self, town):
        gullies = [w for w in self.net.ways.values() if w.kind == "gully" and w.town == town]
        places = [place for gully in gullies for place in self.gully_places(gully.code)]
        if not places:
            stations = [xy for _n, t, xy in self.net.stations if t == town]
            anchor = stations[0] if stations else None
            if anchor is None:
                rivers = [w for w in self.net.ways.values() if w.kind == "river" and w.town == town]
                places = [(w.code, 0.0, w.length) for w in rivers]
            else:
                places = self.nearest_places(*anchor)
        return places or [(w.code, 0.0, w.length) for w in self.net.ways.values() if w.kind == "river"]

    # Roster ----------------------------------------------------------------------------------
    def build_people_and_teams(self):
        net = self.net
        self.rivers = [w for w in net.ways.values() if w.kind == "river"]
        self.gullies = [w for w in net.ways.values() if w.kind == "gully"]
        self.town_names = dict(net.towns)
        towns = sorted({g.town for g in self.gullies if g.town} | {r.town for r in self.rivers if r.town})
        # 黄龙镇 (Huanglong), by its official code, is where the demo logins' story happens.
        self.demo_town = "420303100" if "420303100" in towns else (towns[0] if towns else None)

        self.staff = [
            self.person(Role.STAFF, note=office, login_share=1)
            for office in ["区河长制办公室"] * 4 + ["区人大常委会办公室"] * 2
        ]
        self.add_chiefs(towns)
        self.village_teams = self.add_village_teams()
        self.deputy_groups = self.add_deputy_groups()
        self.volunteer_teams = self.add_volunteer_teams(towns)
        self.teams = self.deputy_groups + self.volunteer_teams + self.village_teams
        for team in self.teams:
            for key in team.leaders:
                self.by_key[key].login = True
        self.choose_demo_logins()

    def add_chiefs(self, towns):
        """District chiefs for the rivers, a township chief per town for its gullies and the rivers
        they join. Village chiefs come with their village's team."""
        before = self.start - timedelta(days=1)
        self.district_chiefs = []
        for river in self.rivers:
            chief = self.person(Role.CHIEF, level=Level.DISTRICT, town=river.town, note="区级河长", login_share=1,
                                female_share=0.2)
            self.assign(chief, river.code, Level.DISTRICT, self.random_date(date(2017, 3, 1), before))
            self.district_chiefs.append(chief)
        self.township_chief = {}
        for town in towns:
            chief = self.person(Role.CHIEF, level=Level.TOWNSHIP, town=town, note="乡镇级河长", login_share=1,
                                female_share=0.25)
            self.township_chief[town] = chief
            since = self.random_date(date(2017, 6, 1), before)
            town_gullies = [g for g in self.gullies if g.town == town]
            rivers = {g.parent for g in town_gullies if g.parent in self.net.ways}
            for code in sorted({g.code for g in town_gullies} | rivers):
                self.assign(chief, code, Level.TOWNSHIP, since)

    def add_village_teams(self):
        """Per village: its chief (for all its gullies), two post workers, and the township chief,
        who joins only to patrol. Two villages change chief half-way through the two years."""
        rng, before = self.rng, self.start - timedelta(days=1)
        villages = {}
        for gully in self.gullies:
            villages.setdefault(gully.village or gully.code, []).append(gully)
        self.demo_village = next((v for v, gs in villages.items() if gs[0].town == self.demo_town), None)
        changing = rng.sample(sorted(v for v in villages if v != self.demo_village), k=min(2, max(0, len(villages) - 1)))
        self.village_chief = {}
        teams = []
        for village, village_gullies in villages.items():
            first = village_gullies[0]
            chiefs = [self.person(Role.CHIEF, level=Level.VILLAGE, town=first.town, village=first.village,
                                  note="村级河长", login_share=1, female_share=0.2)]
            since = self.random_date(date(2018, 1, 1), before)
            if village in changing:
                change = self.random_date(self.start + timedelta(days=200), self.end - timedelta(days=200))
                chiefs[0].active_until = change - timedelta(days=1)
                chiefs[0].note = f"{DEMO_NOTE} 村级河长，{change.year} 年 {change.month} 月卸任"
                chiefs.append(self.person(Role.CHIEF, level=Level.VILLAGE, town=first.town, village=first.village,
                                          note="村级河长", login_share=1, female_share=0.3))
                chiefs[1].active_from = change
            for gully in village_gullies:
                self.assign(chiefs[0], gully.code, Level.VILLAGE, since, until=chiefs[0].active_until)
                if len(chiefs) > 1:
                    self.assign(chiefs[1], gully.code, Level.VILLAGE, chiefs[1].active_from)
            self.village_chief[village] = chiefs[-1]
            workers = [
                self.person(Role.POST_WORKER, town=first.town, village=first.village, note="公益岗位（护河员）", login_share=0.75)
                for _ in range(2)
            ]
            visitors = [self.township_chief[first.town]] if first.town in self.township_chief else []
            teams.append(PlannedTeam(
                name=f"{self.village_label(first)}河道巡护队", kind=Team.Kind.VILLAGE, town=first.town, village=first.village,
                members=[p.key for p in chiefs + workers + visitors], leaders=[chiefs[-1].key],
                places=[place for g in village_gullies for place in self.gully_places(g.code)],
                chief_keys=[c.key for c in chiefs], worker_keys=[w.key for w in workers],
                visitor_keys=[v.key for v in visitors], urban=self.town_names.get(first.town, "").endswith("街道"),
                # Some chiefs patrol nearly every week, most now and then.
                diligence=rng.choices([0.75, 0.1, 0.03], [0.1, 0.5, 0.4])[0],
            ))
        return teams

    def add_deputy_groups(self):
        """120 deputies at five levels (the district's 421, scaled down), spread over the towns by
        size, one group per town led by one or two keen district-level deputies."""
        rng, net = self.rng, self.net
        village_counts = Counter(town for _name, town in net.villages.values())
        town_weights = [village_counts.get(code, 0) + 3 for code, _n in net.towns]
        levels = ([Level.NATIONAL] * 1 + [Level.PROVINCIAL] * 3 + [Level.MUNICIPAL] * 12 + [Level.DISTRICT] * 44
                  + [Level.TOWNSHIP] * 60)
        by_town = {code: [] for code, _n in net.towns}
        codes = [code for code, _n in net.towns]
        for index, level in enumerate(levels):
            # Every town gets deputies before any gets many.
            town = codes[index] if index < len(codes) else rng.choices(codes, town_weights)[0]
            villages = [code for code, (_n, t) in sorted(net.villages.items()) if t == town]
            deputy = self.person(Role.DEPUTY, level=level, town=town, village=rng.choice(villages) if villages else None,
                                 note=f"{Level(level).label}人大代表", login_share=0.55, female_share=0.35)
            deputy.weight = rng.lognormvariate(0, 0.3)  # groups take turns: nearly every deputy takes part
            by_town[town].append(deputy)
        everyone = [deputy for deputies in by_town.values() for deputy in deputies]
        for deputy in rng.sample(everyone, k=max(1, round(len(everyone) * 0.02))):
            deputy.weight = 0.0  # about 2% never take part: the office reminds them
        groups = []
        for code, town_name in net.towns:
            members = by_town[code]
            if not members:
                continue
            keen = sorted((d for d in members if d.weight > 0), key=lambda d: (d.level != Level.DISTRICT, -d.weight))
            groups.append(PlannedTeam(
                name=f"{town_name}人大代表小组", kind=Team.Kind.DEPUTY_GROUP, town=code, village=None,
                members=[d.key for d in members], leaders=[d.key for d in keen[: 2 if len(members) > 10 else 1]],
                places=self.town_places(code),
            ))
        return groups

    def add_volunteer_teams(self, towns):
        """One team for the district, one per river, two in the busiest towns; the remaining
        volunteers help in their own village's team, and a few team volunteers do both."""
        rng = self.rng
        first_reaches = [place for g in self.gullies for place in self.gully_places(g.code)[:1]]
        specs = [(f"{self.net.district}守水护水志愿服务总队", None,
                  [(w.code, 0.0, w.length) for w in self.rivers] + first_reaches, 22)]
        names = ["{}青年志愿服务队", "{}生态护河志愿服务队", "{}清源志愿服务队"]
        for index, river in enumerate(self.rivers):
            places = [(river.code, 0.0, river.length)] + [
                place for g in self.gullies if g.parent == river.code for place in self.gully_places(g.code)[:1]
            ]
            specs.append((names[index % len(names)].format(river.name), river.town, places, 16))
        busiest = sorted(towns, key=lambda t: (t != self.demo_town, -sum(1 for g in self.gullies if g.town == t), t))
        for town, name, size in zip(busiest, ["{}巾帼护河志愿服务队", "{}社区志愿服务队"], (14, 12)):
            specs.append((name.format(self.town_names.get(town, town)), town, self.town_places(town), size))

        total = max(60, TARGET_PEOPLE - len(self.people))
        teams = []
        for name, town, places, size in specs:
            members = [self.volunteer(town).key for _ in range(size)]
            teams.append(PlannedTeam(name=name, kind=Team.Kind.VOLUNTEER, town=town, village=None, members=members,
                                     leaders=sorted(members, key=lambda k: -self.by_key[k].weight)[:2], places=places))
        for index in range(max(0, total - sum(len(t.members) for t in teams))):
            team = self.village_teams[index % len(self.village_teams)]
            team.members.append(self.volunteer(team.town, team.village).key)
        for team in teams:
            for key in rng.sample(team.members, k=2):
                local = [t for t in self.village_teams if t.town == self.by_key[key].town] or self.village_teams
                target = rng.choice(local)
                if key not in target.members:
                    target.members.append(key)
        return teams

    def choose_demo_logins(self):
        """Logins that tell one story: the office, a town's chief, a village chief there, and a
        volunteer team of that town with its leader."""
        self.login("staff", self.staff[0])
        if self.demo_town in self.township_chief:
            self.login("township-chief", self.township_chief[self.demo_town])
        if self.demo_village is not None:
            self.login("village-chief", self.village_chief[self.demo_village])
        team = next((t for t in self.volunteer_teams if t.town == self.demo_town), self.volunteer_teams[0])
        self.login("leader", self.by_key[team.leaders[0]])
        self.login("volunteer", max((self.by_key[k] for k in team.members if k not in team.leaders), key=lambda p: p.weight))

    def volunteer(self, town, village=None):
        if town is None:
            town = self.rng.choice(self.net.towns)[0]
        if village is None and self.rng.random() < 0.7:
            pool = [code for code, (_n, t) in sorted(self.net.villages.items()) if t == town]
            village = self.rng.choice(pool) if pool else None
        person = self.person(Role.VOLUNTEER, town=town, village=village, note="志愿者", login_share=0.4, female_share=0.5)
        if self.rng.random() < 0.04:
            person.weight = 0.0  # signed up, never came
        return person

    def village_label(self, gully):
        if gully.village and gully.village in self.net.villages:
            name = self.net.villages[gully.village][0]
            if name.endswith("村委会"):
                return name[:-3] + "村"
            return name.replace("居委会", "社区")
        return gully.name

    def login(self, label, person):
        person.login = True
        person.password_login = label
        person.username = f"{DEMO_USERNAME_PREFIX}{label}"
        self.logins[label] = person.key

    def assign(self, person, way, level, since, until=None):
        self.assignments.append(PlannedAssignment(person=person.key, waterway=way, level=level, since=since, until=until))
        if until is None:
            self.chiefs_of.setdefault(way, []).append((person.key, level))

    # Calendar --------------------------------------------------------------------------------
    def days(self):
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    def factor(self, day, season, weekdays=WEEKDAYS_EVEN):
        festival = SPRING_FESTIVAL.get(day.year)
        dip = 0.15 if festival and -4 <= (day - festival).days <= 6 else 1.0
        # The programme grows: the second year is busier than the first.
        trend = 0.85 + 0.3 * (day - self.start).days / DAYS
        return season[day.month] * weekdays[day.weekday()] * dip * trend

    def happens(self, rate):
        return self.rng.random() < min(1.0, rate * self.scale)

    def active(self, key, day):
        person = self.by_key[key]
        return (
            person.weight > 0
            and (person.active_from is None or day >= person.active_from)
            and (person.active_until is None or day <= person.active_until)
        )

    # Activities ------------------------------------------------------------------------------
    def build_activities(self):
        for day in self.days():
            for team in self.village_teams:
                self.village_day(team, day)
            for team in self.deputy_groups:
                self.group_day(team, day, monthly=0.1 * len(team.members), weekdays=WEEKDAYS_OFFICE, kinds=DEPUTY_KINDS)
            for team in self.volunteer_teams:
                self.group_day(team, day, monthly=1.0, weekdays=WEEKDAYS_WEEKEND, kinds=VOLUNTEER_KINDS)
            if day.weekday() == 0:
                self.chief_week(day)
        self.story()
        self.activities.sort(key=lambda a: (a.started_at, a.number))
        for index, activity in enumerate(self.activities):
            activity.number = index
            self.plan_review(activity)

    def story(self):
        """The demo volunteer's latest work, still waiting for the demo team leader to review."""
        volunteer = self.logins.get("volunteer")
        team = next((t for t in self.volunteer_teams if volunteer in t.members), None)
        if team is None:
            return
        others = [k for k in team.members if k not in team.leaders]  # the leader reviews, so was not there
        self.add_team_activity(team, "cleanup", self.end - timedelta(days=2), volunteer, size=4, pool=others)
        self.add_team_activity(team, "patrol", self.end - timedelta(days=5), volunteer, size=2, pool=others)

    def village_day(self, team, day):
        rng = self.rng
        # What a village team records besides its chief's patrols, each a few times a year: post
        # workers' own patrols, cleanups, garbage-sorting publicity, and in town streets sewer checks.
        if self.happens(0.006 * self.factor(day, PATROL_SEASON)):
            workers = [k for k in team.worker_keys if self.active(k, day)]
            submitter = self.pick_submitter(workers, team, day)
            if submitter:
                self.add_team_activity(team, "patrol", day, submitter, size=rng.choice([1, 1, 2]), pool=team.worker_keys)
        if self.happens(0.012 * self.factor(day, CLEANUP_SEASON)):
            self.village_work(team, "cleanup", day, rng.randint(2, 6))
        if self.happens(0.003 * self.factor(day, CLEANUP_SEASON)):
            self.village_work(team, "garbage_sorting", day, rng.randint(2, 5))
        if team.urban and self.happens(0.006 * self.factor(day, CLEANUP_SEASON, WEEKDAYS_OFFICE)):
            self.village_work(team, "sewer_inspection", day, rng.randint(2, 4))

    def village_work(self, team, kind, day, size):
        residents = [k for k in team.members if k not in team.visitor_keys]
        submitter = self.pick_submitter(residents, team, day)
        if submitter:
            self.add_team_activity(team, kind, day, submitter, size=size, pool=residents)

    def group_day(self, team, day, *, monthly, weekdays, kinds):
        if not self.happens(monthly / 30 * self.factor(day, CLEANUP_SEASON, weekdays)):
            return
        kind = self.rng.choices(list(kinds), list(kinds.values()))[0]
        submitter = self.pick_submitter(team.members, team, day)
        if submitter:
            size = self.rng.randint(1, 4) if kind == "patrol" else self.rng.randint(2, 6)
            self.add_team_activity(team, kind, day, submitter, size=size)

    def chief_week(self, monday):
        rng = self.rng
        days = [monday + timedelta(days=n) for n in range(7) if monday + timedelta(days=n) <= self.end]
        weekday_weights = [WEEKDAYS_OFFICE[d.weekday()] for d in days]
        # Village chiefs: weekly, as keen as their village; township chiefs: a few times a month;
        # district chiefs: a couple of times a quarter.
        for team in self.village_teams:
            for chief in team.chief_keys:
                day = rng.choices(days, weekday_weights)[0]
                if self.active(chief, day) and self.happens(team.diligence * self.factor(day, PATROL_SEASON)):
                    self.add_team_activity(team, "patrol", day, chief, size=rng.choices([1, 2, 3], [0.5, 0.35, 0.15])[0],
                                           pool=team.worker_keys + team.chief_keys, chief=True)
        for chief in self.township_chief.values():
            day = rng.choices(days, weekday_weights)[0]
            if self.happens(0.2 * self.factor(day, PATROL_SEASON)):
                teams = [t for t in self.village_teams if chief.key in t.members]
                if teams:
                    team = rng.choice(teams)
                    self.add_team_activity(team, "patrol", day, chief.key, size=rng.choices([1, 2, 3], [0.4, 0.4, 0.2])[0],
                                           pool=team.chief_keys + team.worker_keys, chief=True)
        for chief in self.district_chiefs:
            day = rng.choices(days, weekday_weights)[0]
            if self.happens(0.1 * self.factor(day, PATROL_SEASON)):
                ways = [a.waterway for a in self.assignments if a.person == chief.key]
                way = self.net.ways[ways[0]]
                self.add_activity("patrol", day, chief.key, [chief.key], (way.code, 0.0, way.length), chief=True)

    def pick_submitter(self, keys, team, day):
        candidates = [k for k in keys if self.by_key[k].login and self.active(k, day)]
        if not candidates:
            return None
        weights = [self.by_key[k].weight * (3 if k in team.leaders else 1) for k in candidates]
        return self.rng.choices(candidates, weights)[0]

    def add_team_activity(self, team, kind, day, submitter, *, size, pool=None, chief=False):
        others = [k for k in (pool or team.members) if k != submitter and self.active(k, day)]
        participants = [submitter] + self.weighted_sample(others, size - 1)
        place = self.rng.choices(team.places, [max(hi - lo, 1.0) for _w, lo, hi in team.places])[0]
        if chief and self.by_key[submitter].level == Level.VILLAGE:
            gullies = [p for p in team.places if self.net.ways[p[0]].kind == "gully"]
            place = self.rng.choice(gullies or team.places)
        return self.add_activity(kind, day, submitter, participants, place, chief=chief, team=team)

    def weighted_sample(self, keys, k):
        # Efraimidis–Spirakis: keener people are picked more often, nobody twice.
        keyed = sorted(
            ((self.rng.random() ** (1 / self.by_key[key].weight), key) for key in keys if self.by_key[key].weight > 0),
            reverse=True,
        )
        return [key for _score, key in keyed[: max(0, k)]]

    def start_time(self, day, kind):
        rng = self.rng
        summer = day.month in (6, 7, 8, 9)
        if kind == "patrol":
            hour = rng.choice([6, 7, 8, 16, 17] if summer else [8, 9, 10, 14, 15])
        elif kind == "cleanup":
            hour = rng.choice([7, 8, 16] if summer else [8, 9, 14])
        else:
            hour = rng.choice([9, 10, 14, 15])
        return datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=TZ)

    def add_activity(self, kind, day, submitter, participants, place, *, chief=False, team=None):
        rng = self.rng
        way_code, lo, hi = place
        way = self.net.ways[way_code]
        activity = PlannedActivity(
            number=len(self.activities), kind=kind, submitter=submitter, participants=participants,
            started_at=self.start_time(day, kind), duration_s=0, way=way_code, team=team,
        )
        if kind == "patrol":
            short = chief and rng.random() < 0.15
            distance = rng.uniform(600, 1800) if short else rng.uniform(2200, 4000) if chief else rng.uniform(1000, 4000)
            distance = min(distance, max(way.length * 0.95, 300.0))
            activity.track = TrackSpec(
                way=way_code, start_s=rng.uniform(lo, hi), direction=rng.choice([-1, 1]), distance_m=distance,
                speed=rng.uniform(1.0, 1.5) if short else rng.uniform(0.8, 1.2) if chief else rng.uniform(0.8, 1.5),
                interval_s=rng.uniform(5, 15), accuracy_m=rng.uniform(3, 15), seed=rng.getrandbits(64),
            )
            activity.notes = rng.choice(PATROL_NOTES) if rng.random() < 0.3 else ""
        else:
            s = rng.uniform(lo, hi)
            x, y, ux, uy = way.at(s)
            side = rng.choice([-1, 1]) * rng.uniform(*POINT_OFFSET_M[kind])
            activity.point = (x - uy * side, y + ux * side)
            if kind == "garbage_sorting" and team is not None and team.kind == Team.Kind.DEPUTY_GROUP:
                stations = [xy for _n, t, xy in self.net.stations if t == team.town]
                if stations:
                    sx, sy = rng.choice(stations)
                    activity.point = (sx + rng.uniform(-20, 20), sy + rng.uniform(-20, 20))
            activity.location_source = "gps" if rng.random() < 0.85 else "map"
            activity.duration_s, activity.figures, activity.notes = self.figures(kind, len(participants), day)
        # Nobody is in two places at once: the service would not count them twice anyway
        # (overlapping service records are skipped), so the plan leaves busy people out.
        if activity.track is not None:
            seconds = activity.track.distance_m / activity.track.speed + TRACK_GAP_ALLOWANCE_S
        else:
            seconds = activity.duration_s
        window = (activity.started_at, activity.started_at + timedelta(seconds=seconds))
        if self.is_busy(submitter, window):
            return None
        activity.participants = [key for key in participants if not self.is_busy(key, window)]
        for key in activity.participants:
            self.busy.setdefault(key, []).append(window)
        self.activities.append(activity)
        return activity

    def is_busy(self, key, window):
        start, end = window
        return any(start < other_end and end > other_start for other_start, other_end in self.busy.get(key, []))

    def figures(self, kind, people, day):
        rng = self.rng
        if kind == "cleanup":
            hours = rng.uniform(1.0, 3.0)
            flood = 1.6 if day.month in (7, 8, 9) else 1.0
            kg = round(people * hours * rng.uniform(2.5, 9.0) * flood, 1)
            figures = {"debris_kg": Decimal(str(kg)), "bags": max(1, round(kg / rng.uniform(5, 9)))}
            return round(hours * 3600), figures, rng.choice(CLEANUP_NOTES)
        if kind == "sewer_inspection":
            findings = "；".join(rng.sample(SEWER_FINDINGS, k=rng.randint(1, 2))) if rng.random() < 0.3 else ""
            figures = {"manholes_checked": rng.randint(4, 30), "outfalls_checked": rng.randint(0, 6), "findings": findings}
            return round(rng.uniform(1.5, 3.5) * 3600), figures, rng.choice(SEWER_NOTES)
        if kind == "garbage_sorting":
            return round(rng.uniform(1.0, 2.5) * 3600), {}, rng.choice(SORTING_NOTES).format(n=rng.randrange(30, 150, 10))
        return round(rng.uniform(1.0, 2.0) * 3600), {}, rng.choice(OTHER_NOTES)

    def plan_review(self, activity):
        rng = self.rng
        age = (self.end - activity.started_at.date()).days
        activity.receive_delay_s = rng.randint(5, 300) if rng.random() < 0.9 else rng.randint(3600, 36 * 3600)
        activity.review_delay_s = rng.randint(2 * 3600, 6 * 86400)
        # Recent work waits for review; a few older ones were missed; a few were sent back.
        if age < 10 or (age < 30 and rng.random() < 0.5) or rng.random() < 0.02:
            return
        if rng.random() < 0.03:
            activity.decision = "reject"
            activity.review_note = rng.choice(REJECT_REASONS + REJECT_REASONS_BY_KIND.get(activity.kind, []))
        else:
            activity.decision = "verify"
        involved = set(activity.participants)
        team = activity.team
        leaders = [k for k in (team.leaders if team else []) if k not in involved and self.active(k, self.end)]
        chiefs = [k for k, level in self.chiefs_of.get(activity.way, []) if k not in involved and level != Level.DISTRICT]
        staff = [p.key for p in self.staff]
        options = [(k, 3.0) for k in leaders] + [(k, 2.0) for k in chiefs] + [(k, 2.0 / len(staff)) for k in staff]
        first = rng.choices([k for k, _w in options], [w for _k, w in options])[0]
        activity.reviewers = [first] + [k for k in staff if k != first]

    # Problems ------------------------------------------------------------------------------
    def plan_problems(self):
        """Problems seen during patrols, cleanups and inspections: at a few trouble spots, and
        scattered. A random stream of their own, so the rest of the plan is what it was before."""
        rng = random.Random(f"riverwatch-demo/{self.seed}/problems")
        worked = Counter(a.way for a in self.activities if a.kind in TROUBLE_SPOT_CHANCE)
        busiest = [code for code, _n in worked.most_common(TROUBLE_SPOTS * 3)]
        spots = []
        for index, code in enumerate(rng.sample(busiest, k=min(TROUBLE_SPOTS, len(busiest)))):
            way = self.net.ways[code]
            spots.append((code, rng.uniform(0.25, 0.75) * way.length, TROUBLE_SPOT_CATEGORIES[index % len(TROUBLE_SPOT_CATEGORIES)]))
        for activity in self.activities:
            if activity.kind not in TROUBLE_SPOT_CHANCE:
                continue
            way = self.net.ways[activity.way]
            if activity.track is not None:
                # A patrol passes what lies between where it starts and stops along its waterway,
                # and reaches it after walking there.
                track = activity.track
                low, high = sorted((track.start_s, track.start_s + track.direction * track.distance_m))
                low, high = max(low, 0.0), min(high, way.length)
                start_s, speed = track.start_s, track.speed

                def passed(s, low=low, high=high):
                    return low <= s <= high

                def after(s, start_s=start_s, speed=speed):
                    return abs(s - start_s) / speed

                def anywhere(low=low, high=high):
                    return rng.uniform(low, high)
            else:
                # Work at a point sees what is near it along the water, some time during the work.
                here, _distance = way.project(*activity.point)
                duration = activity.duration_s

                def passed(s, here=here):
                    return abs(s - here) <= TROUBLE_SPOT_REACH_M

                def after(s, duration=duration):
                    return rng.uniform(0, duration)

                def anywhere(here=here):
                    return here
            for code, spot, category in spots:
                if code == activity.way and passed(spot) and rng.random() < TROUBLE_SPOT_CHANCE[activity.kind]:
                    activity.problems.append(self.problem_at(
                        rng, way, spot + rng.uniform(-TROUBLE_STRETCH_M / 2, TROUBLE_STRETCH_M / 2), category, after(spot)))
            if rng.random() < STRAY_PROBLEM_CHANCE[activity.kind]:
                category = "sewage" if activity.kind == "sewer_inspection" else rng.choices(
                    list(STRAY_CATEGORIES), list(STRAY_CATEGORIES.values()))[0]
                s = anywhere()
                activity.problems.append(self.problem_at(rng, way, s, category, after(s)))

    def problem_at(self, rng, way, s, category, after_s):
        x, y, ux, uy = way.at(s)
        side = rng.choice([-1, 1]) * rng.uniform(3, 25)  # on the bank, a few metres off the centre line
        return PlannedProblem(category=category, note=rng.choice(PROBLEM_NOTES[category]),
                              point=(x - uy * side, y + ux * side), after_s=after_s)

    def plan(self):
        self.build_people_and_teams()
        self.build_activities()
        self.plan_problems()
        return Plan(
            seed=self.seed, start=self.start, end=self.end, scale=self.scale, people=self.people, teams=self.teams,
            assignments=self.assignments, activities=self.activities, logins=self.logins,
        )

