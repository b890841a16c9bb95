"""A small report snapshot in the shape reports/yearbook/snapshot.py builds, for the renderers' tests
(the sections' own tests build real ones from the database)."""

from reports.yearbook import snapshot as s


def sample_snapshot(*, key="2026", kind="annual") -> dict:
    return {
        "scope": {"kind": kind, "key": key, "year": 2026, "quarter": None, "waterway": None,
                  "start": "2026-01-01", "end": "2026-12-31", "as_of": "2026-11-18",
                  "title": "张湾区 2026 年河湖巡护年度报告", "subtitle": "数据截至 2026-11-18",
                  "previous_label": "上季度" if kind == "quarterly" else "上年"},
        "sections": [
            s.section("headline", "一", "总体情况", intro="全年服务记录超过目标。", figures=[
                s.figure("service_records", "服务记录", 3210, unit="条", previous=2890, target=3200,
                         link="/activities/?start=2026-01-01&end=2026-12-31"),
                s.figure("deputy_rate", "代表参与率", 87.5, unit="%", previous=80.0, target=98),
                s.figure("hours", "服务时长", 1234.5, unit="小时", previous=None),
            ], blocks=[
                s.table("records_by_role", "按身份", [s.column("label", "身份"), s.column("count", "服务记录", s.INT),
                                                     s.column("share", "占比", s.PCT)],
                        [{"label": "人大代表", "count": 1200, "share": 37.4,
                          "_links": {"count": "/activities/?role=deputy&start=2026-01-01&end=2026-12-31"}},
                         {"label": "志愿者", "count": 2010, "share": 62.6, "_links": {}}]),
                s.chart("monthly_records", "每月服务记录", [f"{m}月" for m in range(1, 13)],
                        [("服务记录", [200 + m * 10 for m in range(12)]), ("去年", [180 + m * 9 for m in range(12)])],
                        kind="line", unit="条"),
            ]),
            s.section("coverage", "二", "巡查覆盖", figures=[
                s.figure("coverage_pct", "河道巡查覆盖率", 76.3, unit="%", previous=70.1, link="/map/?start=2026-01-01&end=2026-12-31"),
            ], blocks=[
                s.map_block("coverage_map", "河道巡查覆盖图", "coverage",
                            [{"key": "fresh", "label": "7 天内", "colour": "#1a9850"},
                             {"key": "never", "label": "从未巡查", "colour": "#999999"}]),
                s.table("empty_table", "最长的未巡河段", [s.column("waterway", "河道")], [], empty="全部河段都有人巡查。"),
            ]),
            s.section("hotspots", "五", "问题热点", blocks=[
                s.map_block("hotspot_map", "热点分布", "hotspots",
                            [{"key": "hot_95", "label": "热点（95% 置信）", "colour": "#d7301f"}],
                            features=[{"type": "Feature", "properties": {"class": "hot_95", "label": "热点（95% 置信）",
                                                                         "value": 7, "z": 3.1, "p": 0.002},
                                       "geometry": {"type": "Polygon", "coordinates": [[[110.70, 32.62], [110.71, 32.62],
                                                                                         [110.71, 32.63], [110.70, 32.62]]]}}]),
            ]),
            s.section("methods", "九", "方法与说明", blocks=[
                s.definitions("definitions", "口径", [("服务记录", "一人参加一次活动计 1 条", ""),
                                                    ("巡查覆盖", "巡查轨迹 50 米内的河段", "PATROL_BUFFER_M=50")]),
                s.text("caveats", "数据说明", ["河网为近似位置（精度：近似）。"]),
            ]),
        ],
    }
