"""manage.py import_people: CSV (UTF-8/GBK) and XLSX rosters, every bad row reported, all or nothing, upsert."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from people import importing
from people.models import ChiefAssignment, Person, Team

HEADER = ["姓名", "手机", "身份", "级别", "乡镇", "村", "队伍", "河长河道", "备注", "在册"]


@pytest.fixture
def roster(district_data):
    """An existing team the files refer to."""
    return Team.objects.create(name="黄龙志愿服务队", kind=Team.Kind.VOLUNTEER)


def write_csv(path, rows, *, header=HEADER, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(path, *args, verbosity=1):
    out = io.StringIO()
    call_command("import_people", str(path), *args, stdout=out, stderr=io.StringIO(), verbosity=verbosity)
    return out.getvalue()


def report_lines(error):
    """{row number: that row's line of the report}"""
    lines = {}
    for line in str(error.value).splitlines():
        line = line.strip()
        if line.startswith("第 "):
            lines[int(line.split()[1])] = line
    return lines


def state():
    """Everything an import may write, to prove that a refused file wrote nothing."""
    return (
        sorted(Person.objects.values_list("name", "phone", "role", "level", "note", "is_active")),
        sorted(Team.objects.values_list("name", flat=True)),
        sorted(Team.members.through.objects.values_list("person_id", "team_id")),
        sorted(ChiefAssignment.objects.values_list("person_id", "waterway_id", "level", "since", "until")),
    )


GOOD_ROWS = [
    ["张 三", "138 0013 8001", "志愿者", "", "黄龙镇", "斤坪村", "黄龙志愿服务队", "", "", "是"],
    ["李四", "13800138002", "区级人大代表", "", "", "", "", "", "张湾区人大代表", ""],
    ["王五", "13800138003", "河长", "村级", "", "420303100204", "黄龙志愿服务队", "ZW-G07、斤坪沟", "", ""],
    ["赵六", "", "工作人员", "", "420303100", "", "", "", "河长办", "否"],
]


def test_good_csv_creates_people_teams_and_chief_assignments(roster, tmp_path):
    output = run(write_csv(tmp_path / "good.csv", GOOD_ROWS), "--since", "2026-01-01")

    assert "新增 4，更新 0，未变 0" in output
    zhang = Person.objects.get(phone="13800138001")
    assert (zhang.name, zhang.role, zhang.level) == ("张三", "volunteer", "")
    assert (zhang.town.name, zhang.village.name) == ("黄龙镇", "斤坪村委会")
    assert list(zhang.teams.all()) == [roster]

    deputy = Person.objects.get(phone="13800138002")
    assert (deputy.role, deputy.level, deputy.note) == ("deputy", "district", "张湾区人大代表")

    chief = Person.objects.get(name="王五")
    assert (chief.role, chief.level) == ("chief", "village")
    assert chief.village.name == "狮子沟村委会" and chief.town.name == "黄龙镇"  # town follows the village
    assert set(chief.chief_assignments.values_list("waterway__code", "level", "since")) == {
        ("ZW-G07", "village", date(2026, 1, 1)), ("ZW-G01", "village", date(2026, 1, 1))}
    assert set(roster.members.all()) == {zhang, chief}

    staff = Person.objects.get(name="赵六")
    assert (staff.role, staff.phone, staff.town.code, staff.is_active) == ("staff", "", "420303100", False)


@pytest.mark.parametrize("encoding, shown", [("gbk", "GBK"), ("gb18030", "GBK"), ("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8")])
def test_csv_in_gbk_or_utf8_with_or_without_bom_is_read(roster, tmp_path, encoding, shown):
    path = write_csv(tmp_path / "roster.csv", GOOD_ROWS[:2], encoding=encoding)
    output = run(path)

    assert shown in output
    assert Person.objects.get(phone="13800138001").name == "张三"
    assert Person.objects.get(phone="13800138002").note == "张湾区人大代表"


def test_xlsx_first_sheet_with_english_headers_title_row_and_numeric_phones(roster, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    sheet.append(["张湾区河湖志愿者名册（2026）"])  # a title above the header
    sheet.append(["Name", "Phone", "Role", "Level", "Village", "Teams", "Chief_Waterways"])
    sheet.append(["Chen Yi", 13800138011, "volunteer", None, "柏林村委会", "黄龙志愿服务队", None])
    sheet.append([None, None, None, None, None, None, None])  # a blank row is skipped
    sheet.append(["周七", 13800138012.0, "chief", "township", None, None, "ZW-G29"])
    other = workbook.create_sheet("说明")
    other.append(["姓名", "身份"])
    other.append(["不该导入", "志愿者"])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)

    output = run(path)

    assert "新增 2，更新 0，未变 0" in output
    chen = Person.objects.get(phone="13800138011")
    assert chen.name == "Chen Yi" and chen.village.name == "柏林村委会" and chen.town.name == "柏林镇"
    assert Person.objects.get(phone="13800138012").chief_assignments.get().waterway.code == "ZW-G29"
    assert not Person.objects.filter(name="不该导入").exists()


def test_every_kind_of_bad_row_is_reported_with_its_row_number_and_nothing_written(roster, tmp_path):
    Person.objects.create(name="已登记", phone="13900000000", role="volunteer")
    before = state()
    rows = [
        ["好人", "13800138100", "志愿者", "", "", "", "", "", "", ""],                  # row 2: fine
        ["", "13800138101", "志愿者", "", "", "", "", "", "", ""],                      # 3
        ["钱八", "13800138102", "队员", "", "", "", "", "", "", ""],                    # 4
        ["孙九", "13800138103", "人大代表", "村级", "", "", "", "", "", ""],            # 5
        ["吴十", "13800138104", "河长", "", "", "", "", "", "", ""],                    # 6
        ["郑一", "13800138105", "志愿者", "区级", "", "", "", "", "", ""],              # 7
        ["冯二", "1380013", "志愿者", "", "", "", "", "", "", ""],                      # 8: fine phone? see below
        ["陈三", "138-abc", "志愿者", "", "", "", "", "", "", ""],                      # 9
        ["褚四", "13800138100", "志愿者", "", "", "", "", "", "", ""],                  # 10: same phone as row 2
        ["卫五", "", "志愿者", "", "火星镇", "", "", "", "", ""],                       # 11
        ["蒋六", "", "志愿者", "", "", "不存在村", "", "", "", ""],                     # 12
        ["沈七", "", "志愿者", "", "柏林镇", "斤坪村委会", "", "", "", ""],             # 13
        ["韩八", "", "志愿者", "", "", "", "月亮队", "", "", ""],                       # 14
        ["杨九", "", "河长", "村级", "", "", "", "ZW-X99", "", ""],                     # 15
        ["朱十", "", "志愿者", "", "", "", "", "ZW-G07", "", ""],                       # 16
        ["秦一", "1.38001E+10", "志愿者", "", "", "", "", "", "", ""],                  # 17
        ["尤二", "", "志愿者", "", "", "", "", "", "", "也许"],                         # 18
        ["许三", "", "村级河长", "乡镇级", "", "", "", "", "", ""],                     # 19
    ]
    expected = {
        3: "缺少姓名",
        4: "无法识别的身份“队员”",
        5: "级别“村级”不适用于人大代表",
        6: "河长须填写级别",
        7: "志愿者不设级别",
        9: "电话“138-abc”格式不对",
        10: "电话 13800138100 与第 2 行重复",
        11: "找不到乡镇“火星镇”",
        12: "找不到村（社区）“不存在村”",
        13: "不属于柏林镇",
        14: "找不到队伍“月亮队”",
        15: "找不到河道“ZW-X99”",
        16: "只有河长可以填写河长河道",
        17: "科学计数法",
        18: "“在册”一栏只能填 是 或 否",
        19: "不一致",
    }
    with pytest.raises(CommandError) as error:
        run(write_csv(tmp_path / "bad.csv", rows))

    lines = report_lines(error)
    assert "未写入任何数据" in str(error.value)
    for number, fragment in expected.items():
        assert fragment in lines.get(number, ""), (number, lines.get(number))
    assert set(lines) == set(expected)  # rows 2 and 8 are fine and not reported
    assert state() == before


def test_several_problems_of_one_row_are_all_listed(roster, tmp_path):
    with pytest.raises(CommandError) as error:
        run(write_csv(tmp_path / "bad.csv", [["孙九", "12ab", "人大代表", "村级", "火星镇", "", "月亮队", "", "", ""]]))
    line = report_lines(error)[2]
    for fragment in ("孙九", "格式不对", "不适用于人大代表", "火星镇", "月亮队"):
        assert fragment in line


def test_reimport_updates_by_phone_and_reports_unchanged(roster, tmp_path):
    run(write_csv(tmp_path / "first.csv", GOOD_ROWS), "--since", "2026-01-01")
    people_before = Person.objects.count()

    second = [list(row) for row in GOOD_ROWS]
    second[0][0] = "张叁"  # corrected spelling, same phone
    second[1][8] = "连任"
    output = run(write_csv(tmp_path / "second.csv", second), "--since", "2026-01-01")

    assert "新增 0，更新 2，未变 2" in output
    assert Person.objects.count() == people_before
    assert Person.objects.get(phone="13800138001").name == "张叁"
    assert Person.objects.get(phone="13800138002").note == "连任"
    assert ChiefAssignment.objects.count() == 2  # the chief's waterways were already assigned

    assert "新增 0，更新 0，未变 4" in run(write_csv(tmp_path / "third.csv", second), "--since", "2026-01-01")


def test_blank_cells_keep_what_is_registered(roster, tmp_path):
    run(write_csv(tmp_path / "first.csv", GOOD_ROWS[:1]))
    output = run(write_csv(tmp_path / "partial.csv", [["张三", "13800138001", "志愿者"]], header=["姓名", "电话", "身份"]))

    assert "未变 1" in output
    zhang = Person.objects.get(phone="13800138001")
    assert zhang.village.name == "斤坪村委会" and zhang.teams.count() == 1


def test_rows_without_phone_match_by_name_and_village(roster, tmp_path):
    header = ["姓名", "身份", "村", "备注"]
    run(write_csv(tmp_path / "a.csv", [["刘一", "志愿者", "斤坪村", ""]], header=header))
    output = run(write_csv(tmp_path / "b.csv", [["刘一", "志愿者", "斤坪村", "清漂骨干"], ["刘一", "志愿者", "柏林村", ""]],
                           header=header))

    assert "新增 1，更新 1，未变 0" in output
    assert Person.objects.get(name="刘一", village__name="斤坪村委会").note == "清漂骨干"
    assert Person.objects.filter(name="刘一").count() == 2

    # Adding the phone later updates the same person rather than creating another.
    run(write_csv(tmp_path / "c.csv", [["刘一", "13700000001", "志愿者", "斤坪村"]], header=["姓名", "电话", "身份", "村"]))
    assert Person.objects.get(name="刘一", village__name="斤坪村委会").phone == "13700000001"
    assert Person.objects.filter(name="刘一").count() == 2


def test_dry_run_reports_but_writes_nothing(roster, tmp_path):
    before = state()
    output = run(write_csv(tmp_path / "good.csv", GOOD_ROWS), "--dry-run", "--create-teams")

    assert "未写入" in output and "将新增 4" in output
    assert state() == before


def test_create_teams_option_creates_missing_teams(roster, tmp_path):
    rows = [["李四", "13800138002", "人大代表", "区级", "", "", "红卫代表小组", "", "", ""],
            ["马五", "13800138005", "人大代表", "乡镇级", "", "", "红卫代表小组；新志愿队", "", "", ""],
            ["牛六", "13800138006", "志愿者", "", "", "", "新志愿队", "", "", ""]]
    output = run(write_csv(tmp_path / "teams.csv", rows), "--create-teams")

    assert "新建队伍 2 个" in output
    assert Team.objects.get(name="红卫代表小组").kind == Team.Kind.DEPUTY_GROUP
    assert Team.objects.get(name="新志愿队").kind == Team.Kind.VOLUNTEER
    assert Team.objects.get(name="新志愿队").members.count() == 2


def test_a_chief_whose_level_changes_gets_a_new_assignment_and_the_old_one_ends(roster, tmp_path):
    run(write_csv(tmp_path / "a.csv", [GOOD_ROWS[2]]), "--since", "2025-01-01")
    promoted = list(GOOD_ROWS[2])
    promoted[3] = "乡镇级"
    promoted[7] = "ZW-G07"
    output = run(write_csv(tmp_path / "b.csv", [promoted]), "--since", "2026-03-01")

    assert "结束原任命 1 条" in output
    chief = Person.objects.get(name="王五")
    assert chief.level == "township"
    on_g07 = {a.level: a for a in chief.chief_assignments.filter(waterway__code="ZW-G07")}
    assert on_g07["village"].until == date(2026, 2, 28)
    assert (on_g07["township"].since, on_g07["township"].until) == (date(2026, 3, 1), None)
    assert chief.chief_assignments.get(waterway__code="ZW-G01").until is None  # not listed: left alone


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("fake.xlsx", b"name,role\n", "不是有效的 xlsx"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "不支持旧版 .xls"),
        ("people.pdf", b"%PDF", "不支持的文件类型"),
        ("noheader.csv", "甲,乙\n1,2\n".encode(), "找不到表头"),
        ("norole.csv", "姓名,电话\n张三,13800138000\n".encode(), "缺少必需的列：身份"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(db, tmp_path, filename, content, message):
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(path)


def test_a_zip_that_is_not_a_workbook_is_refused(db, tmp_path):
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(CommandError, match="不是有效的 xlsx"):
        run(path)


def test_files_over_the_row_or_size_limit_are_refused(db, tmp_path):
    rows = [[f"人{i}", f"138{i:08d}", "志愿者"] for i in range(importing.MAX_ROWS + 1)]
    with pytest.raises(CommandError, match="超过 20000 行"):
        run(write_csv(tmp_path / "many.csv", rows, header=["姓名", "电话", "身份"]))

    big = tmp_path / "big.csv"
    big.write_bytes("姓名,身份\n".encode() + b"x" * importing.MAX_BYTES)
    with pytest.raises(CommandError, match="超过 10 MB 的上限"):
        run(big)
    assert not Person.objects.filter(name="人1").exists()


def test_row_report_at_verbosity_2(roster, tmp_path):
    output = run(write_csv(tmp_path / "good.csv", GOOD_ROWS[:1]), verbosity=2)
    assert "第 2 行（张三）：新增" in output


def _rewrite_sheet(path, change):
    """Rewrites the first sheet's XML inside an .xlsx (what a broken exporter might produce)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _workbook(path, people):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份"])
    for name in people:
        sheet.append([name, "志愿者"])
    workbook.save(path)
    return path


def test_a_workbook_whose_dimension_tag_lies_is_read_whole(db, tmp_path):
    import re

    names = [f"志愿者{i}" for i in range(10)]
    path = _rewrite_sheet(_workbook(tmp_path / "short.xlsx", names),
                          lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:B5"/>', xml))
    run(path)
    assert sorted(Person.objects.values_list("name", flat=True)) == sorted(names)


def test_a_stray_cell_in_the_last_column_does_not_widen_every_row(db, tmp_path):
    """One cell in column XFD makes openpyxl pad every row to 16,384 cells: a small file would
    fill gigabytes. Rows are read no wider than a roster can be."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份"])
    sheet.cell(row=1, column=16384, value="多余")
    for i in range(300):
        sheet.append([f"人{i}", "志愿者"])
    workbook.save(tmp_path / "wide.xlsx")
    rows, _source = importing._xlsx_rows(tmp_path / "wide.xlsx")
    assert len(rows) == 301
    assert max(len(values) for _number, values in rows) <= importing.MAX_COLUMNS
    assert len(importing.read_people_file(tmp_path / "wide.xlsx").rows) == 300


def test_a_workbook_with_a_broken_sheet_is_refused_with_a_message(db, tmp_path):
    path = _rewrite_sheet(_workbook(tmp_path / "broken.xlsx", ["张三"]), lambda xml: xml[: len(xml) // 2])
    with pytest.raises(CommandError, match="不是有效的 xlsx"):
        run(path)
    assert Person.objects.count() == 0
