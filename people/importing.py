"""Reading a roster of people from CSV or XLSX and checking every row before anything is written.

Row numbers are those the office sees in the spreadsheet (the header is row 1, or the row under a
title). Every problem of every row is collected, so one run shows all that must be fixed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.etree.ElementTree import ParseError

from django.utils import timezone
from django.utils.translation import gettext as _

from waterways.models import Town, Village, Waterway

from .models import (
    CHIEF_LEVELS,
    DEPUTY_LEVELS,
    PHONE_PATTERN,
    ChiefAssignment,
    Level,
    Person,
    Role,
    Team,
    normalise_phone,
)

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 60  # a roster has about ten; columns beyond this are not read
# An xlsx is a zip; its parts may not unpack to more than this (a small file can hide a huge sheet).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# Rosters often open with a title row or two; the header is looked for in the first few rows.
HEADER_SEARCH_ROWS = 5

CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}

NAME_MAX = Person._meta.get_field("name").max_length
TEAM_NAME_MAX = Team._meta.get_field("name").max_length
PHONE_RE = re.compile(PHONE_PATTERN)
SCIENTIFIC_RE = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)
LIST_SEPARATORS = re.compile(r"[;,、\n]+")  # after NFKC, "；" and "，" are ";" and ","; \n: Alt+Enter in a cell

# Canonical field → accepted header names (compared after _header_key).
COLUMNS = {
    "name": ["姓名", "名字", "人员姓名", "name"],
    "phone": ["电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "联系方式", "phone", "mobile", "tel"],
    "role": ["身份", "角色", "人员类别", "类别", "role"],
    "level": ["级别", "层级", "level"],
    "town": ["乡镇", "乡镇街道", "镇街", "街道", "所在乡镇", "town"],
    "village": ["村", "村社区", "社区", "村居", "所在村", "village"],
    "teams": ["队伍", "所在队伍", "团队", "小组", "teams", "team"],
    "chief_waterways": ["河长河道", "负责河道", "包保河道", "河道", "chief_waterways", "waterways"],
    "note": ["备注", "说明", "note", "notes", "remark"],
    "active": ["在册", "是否在册", "active", "is_active"],
}
REQUIRED_COLUMNS = ["name", "role"]

ROLE_ALIASES = {
    "公益岗位": Role.POST_WORKER, "公益岗": Role.POST_WORKER, "公益性岗位": Role.POST_WORKER,
    "公益性岗位人员": Role.POST_WORKER, "post worker": Role.POST_WORKER,
    "代表": Role.DEPUTY, "river chief": Role.CHIEF, "河长办工作人员": Role.STAFF,
}
LEVEL_ALIASES = {
    "国家级": Level.NATIONAL, "省": Level.PROVINCIAL, "市": Level.MUNICIPAL,
    "区": Level.DISTRICT, "县级": Level.DISTRICT, "区县级": Level.DISTRICT,
    "乡镇": Level.TOWNSHIP, "镇级": Level.TOWNSHIP, "乡级": Level.TOWNSHIP, "街道级": Level.TOWNSHIP,
    "村": Level.VILLAGE, "社区级": Level.VILLAGE,
}
TRUE_WORDS = {"是", "在册", "1", "true", "yes", "y", "√", "✓", "t"}
FALSE_WORDS = {"否", "不在册", "0", "false", "no", "n", "×", "✗", "f", "退出", "已退出"}


class PeopleFileError(Exception):
    """The file as a whole cannot be used (type, size, encoding, header)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class SheetRow:
    number: int  # as in the spreadsheet
    values: dict  # canonical field → text ("" when blank)


@dataclass
class PeopleTable:
    rows: list
    columns: dict  # canonical field → header as written in the file
    ignored_columns: list
    source: str  # e.g. "CSV（GB18030 编码）", for the summary


@dataclass
class RowProblem:
    number: int
    name: str
    messages: list

    def __str__(self):
        label = _("第 %(n)d 行") % {"n": self.number}
        if self.name:
            label += f"（{self.name}）"
        return label + _("：") + _("；").join(self.messages)


@dataclass
class PersonRecord:
    """One checked row: what the person should look like after the import."""

    number: int
    name: str
    role: str
    level: str
    person: Person | None  # the registered person this row updates, if any
    phone: str = ""
    town: Town | None = None
    village: Village | None = None
    note: str | None = None  # None: keep what is stored
    is_active: bool | None = None
    team_names: list = field(default_factory=list)
    waterways: list = field(default_factory=list)
    # Open assignments of this person on these waterways at another level: ended the day before `since`.
    assignments_to_end: list = field(default_factory=list)


@dataclass
class ImportPlan:
    records: list
    problems: list
    teams: dict  # team name → Team, or None for a team to create
    new_team_kinds: dict  # team name → Team.Kind for teams to create
    memberships: set  # (person_id, team_id) already stored
    since: date


# --- Reading ------------------------------------------------------------------

def _fold(text):
    """Full-width digits and punctuation to ASCII, so ＂１３８…＂ and "138…" compare equal."""
    return unicodedata.normalize("NFKC", text).strip()


def _header_key(text):
    key = _fold(str(text or "")).lstrip("*").strip()
    key = re.sub(r"\(.*?\)", "", key)  # "电话(手机)" / "村(社区)" → "电话" / "村"
    return re.sub(r"[\s_]+", " ", key).strip().lower()


HEADER_LOOKUP = {_header_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases}


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps phone numbers typed as numbers as floats
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").replace("\xa0", " ").strip()


def _check_size(path):
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise PeopleFileError(
            _("文件 %(name)s 有 %(size).1f MB，超过 %(max)d MB 的上限。请分成几个文件导入。")
            % {"name": path.name, "size": size / 1024 / 1024, "max": MAX_BYTES // 1024 // 1024}
        )


def _decode(data):
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK, which is what Chinese Excel writes when saving as CSV.
        return data.decode("gb18030"), "GBK/GB18030"
    except UnicodeDecodeError:
        raise PeopleFileError(_("无法识别文件编码。请把 CSV 存为 UTF-8 或 GBK 编码后重试。")) from None


def _numbered(rows):
    """(spreadsheet row number, cells) for the rows that are not blank, refusing overlong files."""
    numbered = []
    for number, values in enumerate(rows, start=1):
        if any(_cell_text(value) for value in values):
            numbered.append((number, values))
            if len(numbered) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise PeopleFileError(_("文件超过 %(max)d 行人员，请分成几个文件导入。") % {"max": MAX_ROWS})
    return numbered


def _csv_rows(path):
    text, encoding = _decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        rows = _numbered(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise PeopleFileError(_("无法读取 CSV 文件 %(name)s：%(error)s") % {"name": path.name, "error": error}) from error
    return rows, _("CSV（%(encoding)s 编码）") % {"encoding": encoding}


def _xlsx_rows(path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    not_xlsx = _(
        "文件 %(name)s 不是有效的 xlsx 工作簿（可能是旧版 .xls 或改了扩展名的文件）。"
        "请在 Excel 或 WPS 中“另存为” .xlsx 或 CSV 后重试。"
    ) % {"name": path.name}
    if not zipfile.is_zipfile(path):
        raise PeopleFileError(not_xlsx)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise PeopleFileError(not_xlsx) from None
    if "xl/workbook.xml" not in names:
        raise PeopleFileError(not_xlsx)
    if unpacked > MAX_UNZIPPED_BYTES:
        raise PeopleFileError(
            _("文件 %(name)s 解压后超过 %(max)d MB，不像一份人员名单，未读取。")
            % {"name": path.name, "max": MAX_UNZIPPED_BYTES // 1024 // 1024}
        )
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise PeopleFileError(not_xlsx + f" ({error})") from error
    try:
        sheet = workbook.worksheets[0]
        # The sheet's own <dimension> tag is not to be trusted: too small, it hides rows; too
        # large, openpyxl pads every row to it (a 200 KB file then fills gigabytes). Read what is
        # there, no wider than a roster can be.
        sheet.reset_dimensions()
        rows = _numbered(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS))
        return rows, _("Excel 工作簿（第一个工作表“%(sheet)s”）") % {"sheet": sheet.title}
    except (ParseError, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
        raise PeopleFileError(not_xlsx + f" ({error})") from error
    finally:
        workbook.close()


def _find_header(numbered_rows):
    for index, (_number, values) in enumerate(numbered_rows[:HEADER_SEARCH_ROWS]):
        keys = [_header_key(value) for value in values]
        if any(HEADER_LOOKUP.get(key) == "name" for key in keys):
            return index, keys
    first = [_cell_text(v) for v in (numbered_rows[0][1] if numbered_rows else []) if _cell_text(v)]
    raise PeopleFileError(
        _("找不到表头：第 1 行应为列名，至少要有“姓名”和“身份”两列。文件第 1 行是：%(found)s")
        % {"found": _("、").join(first) or _("（空）")}
    )


def read_people_file(path) -> PeopleTable:
    """Reads the first sheet of an XLSX, or a CSV in UTF-8 (with or without BOM) or GBK."""
    path = Path(path)
    if not path.is_file():
        raise PeopleFileError(_("找不到文件：%(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise PeopleFileError(_("不支持旧版 .xls 格式。请在 Excel 或 WPS 中另存为 .xlsx 或 CSV 后重试。"))
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise PeopleFileError(
            _("不支持的文件类型 %(suffix)s：请使用 .xlsx 或 .csv。") % {"suffix": path.suffix or "?"})
    _check_size(path)
    raw_rows, source = _xlsx_rows(path) if suffix in XLSX_SUFFIXES else _csv_rows(path)

    header_index, keys = _find_header(raw_rows)
    header = raw_rows[header_index][1]
    columns, positions, ignored = {}, {}, []
    for position, key in enumerate(keys):
        column = HEADER_LOOKUP.get(key)
        if column is None:
            if key:
                ignored.append(_cell_text(header[position]))
            continue
        if column in columns:
            raise PeopleFileError(
                _("“%(first)s”和“%(second)s”两列都表示%(what)s，请只保留一列。")
                % {"first": columns[column], "second": _cell_text(header[position]), "what": COLUMNS[column][0]}
            )
        columns[column] = _cell_text(header[position])
        positions[column] = position
    missing = [COLUMNS[column][0] for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise PeopleFileError(_("缺少必需的列：%(columns)s。") % {"columns": "、".join(missing)})

    rows = []
    for number, values in raw_rows[header_index + 1:]:
        texts = {column: _cell_text(values[pos]) if pos < len(values) else "" for column, pos in positions.items()}
        if any(texts.values()):
            rows.append(SheetRow(number=number, values=texts))
    if len(rows) > MAX_ROWS:
        raise PeopleFileError(_("文件超过 %(max)d 行人员，请分成几个文件导入。") % {"max": MAX_ROWS})
    if not rows:
        raise PeopleFileError(_("文件里除表头外没有人员。"))
    return PeopleTable(rows=rows, columns=columns, ignored_columns=ignored, source=source)


# --- Values --------------------------------------------------------------------

def _label(choice):
    return str(choice.label)


def _choice_lookup(choices, aliases):
    lookup = {_fold(str(alias)).lower(): value for alias, value in aliases.items()}
    for choice in choices:
        lookup[_fold(choice.value).lower()] = choice.value
        lookup[_fold(_label(choice)).lower()] = choice.value
    return lookup


def parse_role(text):
    """(role, level implied by the text) — "村级河长" gives ("chief", "village"). (None, None) if unknown."""
    roles = _choice_lookup(Role, ROLE_ALIASES)
    key = _fold(text).lower()
    if key in roles:
        return roles[key], ""
    levels = _choice_lookup(Level, LEVEL_ALIASES)
    for level_text, level in sorted(levels.items(), key=lambda item: -len(item[0])):
        if key.startswith(level_text) and key[len(level_text):] in roles:
            return roles[key[len(level_text):]], level
    return None, None


def parse_level(text):
    return _choice_lookup(Level, LEVEL_ALIASES).get(_fold(text).lower())


def allowed_levels(role):
    return {Role.DEPUTY: DEPUTY_LEVELS, Role.CHIEF: CHIEF_LEVELS}.get(role, [])


def level_problem(role, level):
    """The message when a level does not suit a role (the rule the database enforces), else None."""
    allowed = allowed_levels(role)
    role_label = Role(role).label
    names = "、".join(_label(choice) for choice in allowed)
    if allowed and not level:
        return _("%(role)s须填写级别（%(levels)s）") % {"role": role_label, "levels": names}
    if allowed and level not in allowed:
        return _("级别“%(level)s”不适用于%(role)s（可选：%(levels)s）") % {
            "level": Level(level).label, "role": role_label, "levels": names}
    if not allowed and level:
        return _("%(role)s不设级别，请把级别留空") % {"role": role_label}
    return None


def phone_problem(phone, as_written):
    if SCIENTIFIC_RE.match(phone):
        return _("电话“%(phone)s”被 Excel 写成了科学计数法，请把电话列设为“文本”后重新导出") % {"phone": as_written}
    if not PHONE_RE.match(phone):
        return _("电话“%(phone)s”格式不对（只能是数字，可带 + 号，5 到 19 位）") % {"phone": as_written}
    return None


def normalise_name(text):
    name = re.sub(r"\s+", " ", text.strip())
    # Rosters pad two-character names to line them up ("张 三"); that space is not part of the name.
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", name)


def parse_active(text):
    key = _fold(text).lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    return None


def split_list(text):
    return [part.strip() for part in LIST_SEPARATORS.split(_fold(text)) if part.strip()]


# --- Places, teams, waterways, people already registered -----------------------

def _town_aliases(name):
    key = _fold(name)
    return {key, re.sub(r"(街道办事处|街道办|街道|镇|乡)$", "", key)} - {""}


def _village_aliases(name):
    key = _fold(name)
    bare = re.sub(r"\(.*?\)", "", key).strip()
    aliases = {key, bare}
    for full, short in (("村委会", "村"), ("居委会", "社区"), ("居委会", "居委"), ("村民委员会", "村"),
                        ("居民委员会", "社区")):
        if bare.endswith(full):
            aliases.add(bare[: -len(full)] + short)
    return aliases - {""}


class _Index:
    """Name or code → objects, with the short forms people write (黄龙 for 黄龙镇, 斤坪村 for 斤坪村委会)."""

    def __init__(self, objects, code_of, aliases_of):
        self.by_code = {code_of(obj): obj for obj in objects}
        self.by_name = {}
        for obj in objects:
            for alias in aliases_of(obj):
                self.by_name.setdefault(alias, []).append(obj)

    def find(self, text):
        """A list: one object, several (ambiguous), or none."""
        key = _fold(text)
        if key in self.by_code:
            return [self.by_code[key]]
        return self.by_name.get(key, [])


class Lookups:
    """Everything the checks need, read once: a 20,000-row file costs a handful of queries."""

    def __init__(self, rows):
        towns = list(Town.objects.all())
        villages = list(Village.objects.select_related("town"))
        self.towns = _Index(towns, lambda town: town.code, lambda town: _town_aliases(town.name))
        self.villages = _Index(villages, lambda village: village.code, lambda village: _village_aliases(village.name))
        waterways = list(Waterway.objects.all())
        self.waterways = _Index(waterways, lambda waterway: waterway.code.upper(), lambda waterway: {_fold(waterway.name)})
        self.teams = {_fold(team.name): team for team in Team.objects.all()}

        phones = {normalise_phone(row.values.get("phone", "")) for row in rows} - {""}
        names = {normalise_name(row.values.get("name", "")) for row in rows} - {""}
        people = list(Person.objects.filter(phone__in=phones)) + list(Person.objects.filter(name__in=names))
        self.people_by_phone = {person.phone: person for person in people if person.phone}
        self.people_by_name = {}
        for person in {person.pk: person for person in people}.values():
            self.people_by_name.setdefault(person.name, []).append(person)

    def waterway(self, text):
        return self.waterways.find(text.upper()) or self.waterways.find(text)


def _names(objects):
    return "、".join(sorted({str(obj) for obj in objects}))


# --- Checking ---------------------------------------------------------------------

class _RowCheck:
    def __init__(self, row, lookups, *, create_teams):
        self.row = row
        self.values = row.values
        self.lookups = lookups
        self.create_teams = create_teams
        self.messages = []

    def problem(self, message):
        self.messages.append(message)

    def check(self):
        name = normalise_name(self.values.get("name", ""))
        if not name:
            self.problem(_("缺少姓名"))
        elif len(name) > NAME_MAX:
            self.problem(_("姓名超过 %(max)d 个字") % {"max": NAME_MAX})

        role, level = self._role_and_level()
        phone = normalise_phone(self.values.get("phone", ""))
        if phone and (message := phone_problem(phone, self.values["phone"])):
            self.problem(message)
            phone = ""
        town, village = self._place()
        active = None
        if self.values.get("active"):
            active = parse_active(self.values["active"])
            if active is None:
                self.problem(_("“在册”一栏只能填 是 或 否，不能是“%(value)s”") % {"value": self.values["active"]})
        team_names = self._teams()
        waterways = self._waterways(role)
        record = PersonRecord(
            number=self.row.number, name=name, role=role, level=level, person=None, phone=phone,
            town=town, village=village, is_active=active, team_names=team_names, waterways=waterways,
            note=self.values["note"] if self.values.get("note") else None,
        )
        return record, self.messages

    def _role_and_level(self):
        role_text = self.values.get("role", "")
        role, implied_level = parse_role(role_text) if role_text else (None, None)
        if not role_text:
            self.problem(_("缺少身份（志愿者、公益岗位人员、人大代表、河长或工作人员）"))
        elif role is None:
            self.problem(
                _("无法识别的身份“%(role)s”（可填：志愿者、公益岗位人员、人大代表、河长、工作人员）") % {"role": role_text})

        level_text = self.values.get("level", "")
        level = parse_level(level_text) if level_text else ""
        if level is None:
            self.problem(
                _("无法识别的级别“%(level)s”（可填：全国、省级、市级、区级、乡镇级、村级）") % {"level": level_text})
            return role or "", ""
        if implied_level:
            if level and level != implied_level:
                self.problem(_("身份“%(role)s”与级别“%(level)s”不一致") % {"role": role_text, "level": level_text})
            level = implied_level
        if role and (message := level_problem(role, level)):
            self.problem(message)
        return role or "", level

    def _place(self):
        town = village = None
        town_text, village_text = self.values.get("town", ""), self.values.get("village", "")
        if town_text:
            found = self.lookups.towns.find(town_text)
            if not found:
                self.problem(_("找不到乡镇“%(town)s”（请填写乡镇名称或 9 位代码）") % {"town": town_text})
            elif len(found) > 1:
                self.problem(_("乡镇“%(town)s”不唯一（%(names)s），请填写 9 位代码") % {
                    "town": town_text, "names": _names(found)})
            else:
                town = found[0]
        if village_text:
            found = self.lookups.villages.find(village_text)
            in_town = [v for v in found if town is not None and v.town_id == town.pk]
            if not found:
                self.problem(_("找不到村（社区）“%(village)s”（请填写名称或 12 位代码）") % {"village": village_text})
            elif town is not None and not in_town:
                self.problem(_("村（社区）“%(village)s”不属于%(town)s（属于%(other)s）") % {
                    "village": village_text, "town": town.name, "other": _names(v.town for v in found)})
            elif len(in_town or found) > 1:
                self.problem(_("村（社区）“%(village)s”有重名（%(towns)s），请填写乡镇或 12 位代码") % {
                    "village": village_text, "towns": _names(v.town for v in found)})
            else:
                village = (in_town or found)[0]
                town = town or village.town
        return town, village

    def _teams(self):
        names = split_list(self.values.get("teams", ""))
        unknown = [name for name in names if name not in self.lookups.teams]
        if unknown and not self.create_teams:
            self.problem(_("找不到队伍“%(teams)s”（先在管理后台建立，或导入时加 --create-teams）") % {
                "teams": "、".join(unknown)})
        for name in unknown:
            if len(name) > TEAM_NAME_MAX:
                self.problem(_("队伍名称“%(team)s”超过 %(max)d 个字") % {"team": name, "max": TEAM_NAME_MAX})
        return list(dict.fromkeys(names))

    def _waterways(self, role):
        texts = split_list(self.values.get("chief_waterways", ""))
        if texts and role and role != Role.CHIEF:
            self.problem(_("只有河长可以填写河长河道"))
            return []
        found, unknown = [], []
        for text in texts:
            matches = self.lookups.waterway(text)
            if len(matches) == 1:
                found.append(matches[0])
            else:
                unknown.append(text)
        if unknown:
            self.problem(_("找不到河道“%(waterways)s”（请填写河道编码或名称）") % {"waterways": "、".join(unknown)})
        return list({waterway.pk: waterway for waterway in found}.values())


def _match_person(record, lookups):
    """(person, problem): by phone; else the same name in the same village (blank matches blank).
    A row whose phone is new may still be someone registered there without a phone."""
    if record.phone and record.phone in lookups.people_by_phone:
        return lookups.people_by_phone[record.phone], None
    same_place = [
        person for person in lookups.people_by_name.get(record.name, [])
        if person.village_id == (record.village.pk if record.village else None)
        and (not record.phone or not person.phone)
    ]
    if len(same_place) > 1:
        return None, _("已登记 %(n)d 位同名同村的人员，无法确定是哪一位，请填写电话") % {"n": len(same_place)}
    return (same_place[0] if same_place else None), None


def _assignments_to_end(record, since):
    """Open assignments on the row's waterways at another level; a problem if one starts on or after `since`."""
    if record.person is None or not record.waterways:
        return [], None
    open_ones = ChiefAssignment.objects.filter(
        person=record.person, waterway__in=record.waterways, until__isnull=True
    ).select_related("waterway")
    to_end = [a for a in open_ones if a.level != record.level]
    too_late = [a for a in to_end if a.since >= since]
    if too_late:
        return [], _("%(waterway)s已有自 %(date)s 起的河长任命，--since 须晚于该日期") % {
            "waterway": too_late[0].waterway.name, "date": too_late[0].since.isoformat()}
    return to_end, None


def check_rows(rows, *, create_teams=False, since=None) -> ImportPlan:
    """Checks every row against the register. Nothing is written here."""
    since = since or timezone.localdate()
    lookups = Lookups(rows)
    records, problems = [], []
    seen_phones, seen_keys, seen_people = {}, {}, {}
    new_team_roles = {}

    for row in rows:
        record, messages = _RowCheck(row, lookups, create_teams=create_teams).check()
        if record.phone:
            if record.phone in seen_phones:
                messages.append(_("电话 %(phone)s 与第 %(n)d 行重复") % {"phone": record.phone, "n": seen_phones[record.phone]})
            else:
                seen_phones[record.phone] = record.number
        elif record.name:
            key = (record.name, record.village.pk if record.village else None)
            if key in seen_keys:
                messages.append(_("与第 %(n)d 行同名同村且都没有电话，无法区分") % {"n": seen_keys[key]})
            else:
                seen_keys[key] = record.number
        if record.name:
            record.person, message = _match_person(record, lookups)
            if message:
                messages.append(message)
            elif record.person is not None:
                if record.person.pk in seen_people:
                    messages.append(_("与第 %(n)d 行对应同一位已登记人员") % {"n": seen_people[record.person.pk]})
                seen_people.setdefault(record.person.pk, record.number)
        if record.role == Role.CHIEF and record.level:
            record.assignments_to_end, message = _assignments_to_end(record, since)
            if message:
                messages.append(message)
        for name in record.team_names:
            if name not in lookups.teams:
                new_team_roles.setdefault(name, set()).add(record.role)
        if messages:
            problems.append(RowProblem(number=row.number, name=record.name, messages=messages))
        records.append(record)

    person_ids = [record.person.pk for record in records if record.person is not None]
    memberships = set(
        Team.members.through.objects.filter(person_id__in=person_ids).values_list("person_id", "team_id")
    )
    teams = {name: lookups.teams.get(name) for record in records for name in record.team_names}
    new_team_kinds = {
        # A new team of deputies only is a deputy group; any other mix is a volunteer team (editable later).
        name: Team.Kind.DEPUTY_GROUP if roles == {Role.DEPUTY} else Team.Kind.VOLUNTEER
        for name, roles in new_team_roles.items()
    }
    return ImportPlan(records=records, problems=problems, teams=teams, new_team_kinds=new_team_kinds,
                      memberships=memberships, since=since)
