"""Generate RiverWatch's *approximate* water network and deputy stations for Zhangwan District.

Everything this script writes is a sketch, not a survey. No official line data for the district's
rivers and gullies was available, so the lines are drawn from a handful of reference points and
invented in between. The river-chief office is expected to replace them with surveyed files
through the import command; every feature therefore says ``accuracy: "approximate"`` and names
its ``source``.

How it is made
--------------
* Inputs: the district outline (``district_boundary.geojson``, ~100 m accuracy, a copy of
  shared/reference/zhangwan_boundary_wgs84.geojson), the 2020 village list with official codes
  (``villages.csv``) and the reference anchor points (copied into ``ANCHORS`` below from
  shared/reference/zhangwan_anchor_points_wgs84.csv).
* The three rivers (堵河, 犟河, 神定河) are drawn through the anchor points the reference gives for
  them. The 39 gullies (支沟) are not published anywhere: they are named after villages (many
  villages are named after their gully), placed near where that village's town meets the right
  river, and given invented courses. Where a village has an anchor point it is used as a waypoint.
* Geometry is built in EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E, metres): a centripetal
  Catmull-Rom spline through hand-picked control points, resampled every ~40 m, plus a small
  deterministic sinusoidal meander (tens of metres) that tapers to zero at both ends so sources
  and mouths stay exactly where they were put.
* A tributary's last vertex (its mouth) *is* a vertex of its parent's final, rounded line, so the
  two touch exactly. A gully's last ~300 m are a straight run set upstream and to the side of the
  mouth, at 30-58° to the parent's flow, so it joins at an acute angle pointing downstream (the
  犟河's own control points already do this at 黄龙).
* The outline's two parts share straight edges without slivers, but their union has a ~1.65 km²
  gap near 110.771,32.677 (east of 车城路/north of 人民广场). It is treated as outside: nothing is
  placed within 100 m of it, and the 神定河 passes east of it.
* The 35 deputy homes/liaison stations (家站) are at reference anchors where one lies in the
  right town or village, otherwise beside the village's gully; which villages have one is invented.
* Output is EPSG:4326 lon/lat rounded to 6 decimals (~0.1 m). All hard constraints are checked
  *after* rounding (re-projected to EPSG:4546) and the script stops with an AssertionError if one
  fails.

Deterministic: fixed seeds (derived from feature codes with CRC-32), no network, no clock.
Run from the project root:  .venv/bin/python gis_data/generate_waterways.py
"""

import csv
import json
import math
import sys
import zlib
from pathlib import Path

import numpy as np
from pypinyin import Style, lazy_pinyin, load_phrases_dict
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import nearest_points, unary_union

HERE = Path(__file__).resolve().parent
BOUNDARY_FILE = HERE / "district_boundary.geojson"
VILLAGES_FILE = HERE / "villages.csv"
WATERWAYS_FILE = HERE / "waterways.geojson"
STATIONS_FILE = HERE / "stations.geojson"
PREVIEW_FILE = HERE / "preview.png"

WORK_EPSG = 4546
CRS_MEMBER = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}
DECIMALS = 6

# --- tunables (metres) -------------------------------------------------------------------
STEP = 40.0  # vertex spacing of the output lines
INSIDE_MIN = 100.0  # every vertex / station at least this far inside the outline
CONTROL_INSIDE = 200.0  # control points are pulled at least this far in (leaves room for meanders)
MOUTH_TOLERANCE = 20.0  # a mouth must be this close to its parent (ours are ~0)
MAX_SEGMENT = 150.0
MAX_TURN_DEG = 60.0
GULLY_GAP = 150.0  # gullies keep this far apart ...
GULLY_GAP_NEAR_MOUTH = 50.0  # ... except within MOUTH_ZONE of a mouth
MOUTH_ZONE = 300.0
GULLY_LENGTH_KM = (1.0, 8.0)
STATION_GAP = 150.0
# Meanders as (amplitude m, wavelength m): a long gentle bend plus smaller wiggles.
RIVER_WAVES = [(30.0, 1500.0), (18.0, 700.0), (6.0, 300.0)]
GULLY_WAVES = [(28.0, 1300.0), (12.0, 520.0), (4.0, 200.0)]

TO_WORK = Transformer.from_crs(4326, WORK_EPSG, always_xy=True)
TO_LONLAT = Transformer.from_crs(WORK_EPSG, 4326, always_xy=True)
GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid; same as WGS-84 to well under a millimetre here

# Anchor points (lon, lat WGS-84) from shared/reference/zhangwan_anchor_points_wgs84.csv.
ANCHORS = {
    "人民广场/六堰": (110.776714, 32.657112),
    "青年广场": (110.763776, 32.650506),
    "希尔顿花园酒店": (110.7551, 32.658654),
    "希尔顿逸林": (110.79369, 32.655737),
    "十堰体育中心": (110.795087, 32.650477),
    "万达广场": (110.803636, 32.664225),
    "柳家河村樱桃沟": (110.774175, 32.758496),
    "红卫夜市": (110.732673, 32.646182),
    "美天酒店": (110.741959, 32.654015),
    "东风汽车博物馆": (110.665167, 32.658861),
    "放马坪古巷": (110.668141, 32.651212),
    "青龙山": (110.667063, 32.670875),
    "百龙潭": (110.701273, 32.603298),
    "姥爷的花果园民宿": (110.6763, 32.588775),
    "知雨轩": (110.619723, 32.656671),
    "长河湾景区": (110.630041, 32.633439),
    "山谷见露营": (110.601815, 32.607504),
    "绿野仙踪": (110.608135, 32.581868),
    "红岩寨": (110.614294, 32.559273),
    "黄龙古镇": (110.57153, 32.681654),
    "黄龙半岛": (110.57137, 32.681316),
    "黄龙滩电厂": (110.519262, 32.679723),
    "水电宾馆": (110.525138, 32.681582),
    "鱼悦栖乡": (110.511486, 32.718185),
    "回龙生态旅游区": (110.602897, 32.67091),  # the reference calls this pin suspicious
    "方滩云水街": (110.601076, 32.740019),
    "见山茶舍": (110.608925, 32.737876),
}

# Town codes (9 digits, from villages.csv).
HUAGUO, HONGWEI, CHECHENGLU, HANJIANGLU = "420303001", "420303002", "420303003", "420303004"
HUANGLONG, BAILIN, FANGTAN, XIGOU = "420303100", "420303101", "420303200", "420303201"

# --- rivers ------------------------------------------------------------------------------
# Control points run source -> mouth. ("edge", lon, lat, m) means "the river enters/leaves the
# district here": the point is moved to exactly m metres inside the outline, near the given spot.
# `mouth` (for a tributary) is a target near which the line joins its parent.
RIVERS = [
    {
        "code": "ZW-R01", "name": "堵河", "parent": None, "town": HUANGLONG,
        "controls": [
            ("edge", 110.4625, 32.6435, 150),  # guess: reservoir/river arrives from the SW (竹山 side)
            (110.474, 32.6500), (110.486, 32.6575), (110.497, 32.6650), (110.508, 32.6730),
            (110.519, 32.6800),  # 黄龙滩 dam
            (110.527, 32.6838), (110.540, 32.6862), (110.553, 32.6855), (110.5625, 32.6845),
            (110.5703, 32.6828),  # passes ~130 m NW of 黄龙古镇 (old town on the east bank)
            (110.5730, 32.6862), (110.5765, 32.6925), (110.5810, 32.7010), (110.5875, 32.7130),
            (110.5945, 32.7265),
            (110.5995, 32.7403),  # 方滩村 (方滩云水街 on the east bank)
            (110.6035, 32.7490),
            ("edge", 110.6100, 32.7580, 125),  # leaves the district northward
        ],
        "passes": {"黄龙滩 dam": ((110.519, 32.680), 150), "黄龙 confluence": ((110.571, 32.682), 250),
                   "方滩村": ((110.601, 32.740), 200), "district exit": ((110.61, 32.757), 300)},
        "source": "近似示意，非实测。Drawn through reference anchor points 黄龙滩 dam, 黄龙古镇 (犟河 confluence), "
                  "方滩村 and the northern exit (shared/reference); the start ~150 m inside the western outline "
                  "SW of the dam (towards 竹山) is a guess; course between anchors interpolated, not surveyed",
    },
    {
        "code": "ZW-R02", "name": "犟河", "parent": "ZW-R01", "town": HUAGUO,
        "controls": [
            (110.7245, 32.6450),  # source near 花果/红卫 (reference guess)
            (110.712, 32.6485), (110.700, 32.6518), (110.688, 32.6550), (110.676, 32.6575),
            (110.6660, 32.6568),  # 花果 valley, between 东风汽车博物馆 and 放马坪
            (110.655, 32.6560), (110.642, 32.6560), (110.630, 32.6553),
            (110.6205, 32.6550),  # past 柏林 (知雨轩 on the north bank)
            (110.610, 32.6590), (110.600, 32.6650), (110.590, 32.6705), (110.582, 32.6755),
            (110.5768, 32.6805),  # passes east of 黄龙古镇: the old town sits in the fork
        ],
        # 黄龙: joins just below the 堵河's bend, heading NNW into the NNE-flowing 堵河 (~45°).
        # The controls already aim at the mouth, so no automatic approach point.
        "mouth": (110.5735, 32.6866), "approach": False,
        "passes": {"花果 valley": ((110.665, 32.659), 300), "知雨轩": ((110.6197, 32.6567), 300),
                   "黄龙 confluence": ((110.571, 32.682), 600)},
        "source": "近似示意，非实测。Drawn through reference anchor points 花果/红卫 upper reach (guess), 东风汽车博物馆/"
                  "放马坪 (花果 valley), 知雨轩 (柏林) and 黄龙古镇 (confluence with the 堵河) (shared/reference); "
                  "course between anchors interpolated, not surveyed",
    },
    {
        "code": "ZW-R03", "name": "神定河", "parent": None, "town": HANJIANGLU,
        "controls": [
            ("edge", 110.7770, 32.6575, 125),  # 人民广场/六堰 lies on the outline; start just inside
            (110.7795, 32.6630), (110.7825, 32.6700),
            (110.7830, 32.6780),  # east of the gap in the outline (see load_district)
            (110.7815, 32.6860), (110.7790, 32.6950), (110.7775, 32.7050), (110.7765, 32.7150),
            (110.7760, 32.7250), (110.7755, 32.7350), (110.7750, 32.7450), (110.7745, 32.7520),
            (110.7740, 32.7585),  # 柳家河村
            ("edge", 110.7730, 32.7680, 110),  # leaves at the north tip towards the Han River
        ],
        "passes": {"人民广场": ((110.7767, 32.6571), 250), "柳家河村": ((110.774, 32.758), 150),
                   "north tip": ((110.775, 32.767), 300)},
        "source": "近似示意，非实测。Drawn through reference anchor points 人民广场/六堰 (百二河 meets 张湾河), "
                  "柳家河村 and the district's north tip (shared/reference), kept east of the gap in the outline "
                  "near 110.771,32.677; course between anchors interpolated, not surveyed",
    },
]

# --- gullies -----------------------------------------------------------------------------
# (code, name, village code, parent, controls source->..., mouth target). Controls stay well
# away (>~600 m) from the parent; the last few hundred metres are added automatically.
# An anchor name in the controls is replaced by its coordinates (and cited in `source`).
GULLIES = [
    # 堵河, 黄龙镇: reservoir reach (SW of the dam), dam -> 黄龙, then north of 黄龙
    ("ZW-G01", "斤坪沟", "420303100200", "ZW-R01", [(110.4680, 32.6870), (110.4720, 32.6760), (110.4790, 32.6660)], (110.486, 32.6580)),
    ("ZW-G02", "堰石沟", "420303100206", "ZW-R01", [(110.4930, 32.6430), (110.4925, 32.6520)], (110.4935, 32.6625)),
    ("ZW-G03", "李家湾沟", "420303100201", "ZW-R01", [(110.4850, 32.7000), (110.4900, 32.6880), (110.4990, 32.6790)], (110.507, 32.6720)),
    ("ZW-G04", "东湾沟", "420303100203", "ZW-R01", [(110.5230, 32.6500), (110.5190, 32.6620)], (110.514, 32.6770)),
    ("ZW-G05", "朱庄沟", "420303100205", "ZW-R01", [(110.5030, 32.7330), "鱼悦栖乡", (110.5200, 32.7050), (110.5270, 32.6950)], (110.534, 32.6855)),
    ("ZW-G06", "大沟", "420303100207", "ZW-R01", [(110.5430, 32.6520), (110.5460, 32.6650), (110.5460, 32.6750)], (110.549, 32.6862)),
    ("ZW-G07", "狮子沟", "420303100204", "ZW-R01", [(110.5420, 32.7180), (110.5480, 32.7080), (110.5520, 32.6970)], (110.5545, 32.6858)),
    ("ZW-G08", "回龙沟", "420303100208", "ZW-R01", ["回龙生态旅游区", (110.5950, 32.6810), (110.5880, 32.6900)], (110.580, 32.7000)),
    ("ZW-G09", "青石沟", "420303100209", "ZW-R01", [(110.5630, 32.7020), (110.5720, 32.7040)], (110.583, 32.7065)),
    # 堵河, 方滩乡
    ("ZW-G10", "徐家湾沟", "420303200203", "ZW-R01", [(110.5610, 32.7200), (110.5720, 32.7220), (110.5810, 32.7225)], (110.5925, 32.7235)),
    ("ZW-G11", "喻家湾沟", "420303200200", "ZW-R01", [(110.6170, 32.6970), (110.6070, 32.7070)], (110.5915, 32.7185)),
    ("ZW-G12", "转头沟", "420303200201", "ZW-R01", [(110.6320, 32.7080), (110.6200, 32.7180), (110.6080, 32.7250)], (110.5970, 32.7310)),
    ("ZW-G13", "文武沟", "420303200204", "ZW-R01", [(110.5660, 32.7380), (110.5770, 32.7410), (110.5880, 32.7440)], (110.6010, 32.7475)),
    ("ZW-G14", "沉潭河", "420303200206", "ZW-R01", [(110.6650, 32.7120), (110.6450, 32.7220), (110.6250, 32.7310), (110.6120, 32.7370)], (110.6015, 32.7435)),
    ("ZW-G15", "王家山沟", "420303200205", "ZW-R01", [(110.6085, 32.6900), (110.5990, 32.6990)], (110.5855, 32.7095)),
    # 犟河, upper reach (红卫) downstream to 柏林/西沟乡
    ("ZW-G16", "袁家沟", "420303002006", "ZW-R02", [(110.7380, 32.6300), (110.7300, 32.6380)], (110.7135, 32.6480)),
    ("ZW-G17", "燕沟", "420303002003", "ZW-R02", [(110.7330, 32.6680), (110.7260, 32.6580)], (110.7165, 32.6475)),
    ("ZW-G18", "周家沟", "420303002002", "ZW-R02", [(110.7180, 32.6180), (110.7140, 32.6320)], (110.7050, 32.6505)),
    ("ZW-G19", "石桥沟", "420303002201", "ZW-R02", [(110.7180, 32.6800), (110.7120, 32.6680)], (110.7030, 32.6512)),
    ("ZW-G20", "桃子沟", "420303001204", "ZW-R02", [(110.7050, 32.5940), "百龙潭", (110.6990, 32.6200), (110.6970, 32.6380)], (110.6940, 32.6535)),
    ("ZW-G21", "岔河", "420303001200", "ZW-R02", [(110.7020, 32.6880), (110.6970, 32.6760)], (110.6890, 32.6548)),
    ("ZW-G22", "小岭沟", "420303001207", "ZW-R02", [(110.6860, 32.6280), (110.6840, 32.6400)], (110.6795, 32.6563)),
    ("ZW-G23", "茶店沟", "420303001208", "ZW-R02", [(110.6840, 32.6900), (110.6780, 32.6760)], (110.6710, 32.6578)),
    ("ZW-G24", "蔡家沟", "420303001203", "ZW-R02", ["姥爷的花果园民宿", (110.6750, 32.6100), (110.6720, 32.6320)], (110.6660, 32.6566)),
    ("ZW-G25", "安沟", "420303001206", "ZW-R02", [(110.6640, 32.6880), (110.6580, 32.6760), (110.6535, 32.6660)], (110.6480, 32.6565)),
    ("ZW-G26", "太山沟", "420303101205", "ZW-R02", [(110.6550, 32.6280), (110.6500, 32.6420)], (110.6420, 32.6555)),
    ("ZW-G27", "白马沟", "420303101201", "ZW-R02", [(110.6460, 32.6800), (110.6400, 32.6680)], (110.6320, 32.6565)),
    ("ZW-G28", "黄土沟", "420303201200", "ZW-R02", [(110.6380, 32.6180), "长河湾景区", (110.6270, 32.6450)], (110.6245, 32.6553)),
    ("ZW-G29", "柏林沟", "420303101200", "ZW-R02", [(110.6280, 32.6760), (110.6220, 32.6670)], (110.6160, 32.6570)),
    ("ZW-G30", "东沟", "420303201202", "ZW-R02", [(110.6160, 32.5980), (110.6155, 32.6150), (110.6130, 32.6350)], (110.6085, 32.6600)),
    ("ZW-G31", "相公沟", "420303201201", "ZW-R02", ["山谷见露营", (110.6010, 32.6250), (110.6000, 32.6450)], (110.5970, 32.6665)),
    ("ZW-G32", "西沟", "420303201204", "ZW-R02", [(110.5820, 32.6150), (110.5840, 32.6350), (110.5860, 32.6550)], (110.5855, 32.6725)),
    # 神定河, 车城路街道 and 汉江路街道
    ("ZW-G33", "张湾河", "420303003004", "ZW-R03", ["美天酒店", "希尔顿花园酒店", (110.7660, 32.6625)], (110.7790, 32.6615)),
    ("ZW-G34", "水堤沟", "420303004200", "ZW-R03", [(110.8120, 32.6750), (110.8000, 32.6800)], (110.7830, 32.6880)),
    ("ZW-G35", "马家沟", "420303004205", "ZW-R03", [(110.7520, 32.6930), (110.7630, 32.6990)], (110.7768, 32.7120)),
    ("ZW-G36", "桐树沟", "420303004207", "ZW-R03", [(110.8120, 32.7000), (110.8020, 32.7080)], (110.7765, 32.7220)),
    ("ZW-G37", "梁家沟", "420303004211", "ZW-R03", [(110.7570, 32.7180), (110.7650, 32.7250)], (110.7758, 32.7330)),
    ("ZW-G38", "凤凰沟", "420303004209", "ZW-R03", [(110.8060, 32.7225), (110.7950, 32.7300)], (110.7753, 32.7410)),
    ("ZW-G39", "柳家河", "420303004208", "ZW-R03", [(110.7940, 32.7390), (110.7860, 32.7455)], (110.7746, 32.7510)),
]

# Where a gully name is a known stream rather than village + 沟 (cited in `source`).
KNOWN_STREAMS = {"张湾河", "柳家河", "岔河", "沉潭河"}

# --- stations (家站) ---------------------------------------------------------------------
# (town, village code or None, placement): ("anchor", name) or ("gully", code).
# One 人大代表之家 per town/street with villages in the network, the rest are village/community
# 联络站. Which villages have a station is invented; only the total (35) is published.
HOMES = [
    (HUANGLONG, None, ("anchor", "黄龙古镇")),
    (BAILIN, None, ("anchor", "知雨轩")),
    (FANGTAN, None, ("anchor", "方滩云水街")),
    (XIGOU, None, ("anchor", "长河湾景区")),
    (HUAGUO, None, ("anchor", "放马坪古巷")),
    (HONGWEI, None, ("anchor", "红卫夜市")),
    (CHECHENGLU, None, ("anchor", "青年广场")),
    (HANJIANGLU, None, ("anchor", "十堰体育中心")),
]
LIAISONS = [
    (HUANGLONG, "420303100205", ("anchor", "鱼悦栖乡")),
    (HUANGLONG, "420303100208", ("anchor", "回龙生态旅游区")),
    (HUANGLONG, "420303100204", ("gully", "ZW-G07")),
    (HUANGLONG, "420303100207", ("gully", "ZW-G06")),
    (FANGTAN, "420303200202", ("anchor", "见山茶舍")),
    (FANGTAN, "420303200201", ("gully", "ZW-G12")),
    (FANGTAN, "420303200204", ("gully", "ZW-G13")),
    (FANGTAN, "420303200206", ("gully", "ZW-G14")),
    (HUAGUO, "420303001204", ("anchor", "百龙潭")),
    (HUAGUO, "420303001203", ("anchor", "姥爷的花果园民宿")),
    (HUAGUO, "420303001211", ("anchor", "青龙山")),
    (HUAGUO, "420303001206", ("gully", "ZW-G25")),
    (HONGWEI, "420303002002", ("gully", "ZW-G18")),
    (HONGWEI, "420303002003", ("gully", "ZW-G17")),
    (HONGWEI, "420303002006", ("gully", "ZW-G16")),
    (BAILIN, "420303101201", ("gully", "ZW-G27")),
    (BAILIN, "420303101205", ("gully", "ZW-G26")),
    (XIGOU, "420303201201", ("anchor", "山谷见露营")),
    (XIGOU, "420303201205", ("anchor", "绿野仙踪")),
    (XIGOU, "420303201206", ("anchor", "红岩寨")),
    (XIGOU, "420303201204", ("gully", "ZW-G32")),
    (CHECHENGLU, "420303003007", ("anchor", "人民广场/六堰")),
    (CHECHENGLU, "420303003004", ("gully", "ZW-G33")),
    (HANJIANGLU, "420303004208", ("anchor", "柳家河村樱桃沟")),
    (HANJIANGLU, "420303004200", ("gully", "ZW-G34")),
    (HANJIANGLU, "420303004205", ("gully", "ZW-G35")),
    (HANJIANGLU, "420303004207", ("gully", "ZW-G36")),
]

# Pinyin readings checked by hand (polyphonic characters, place-name readings).
load_phrases_dict({"柏林": [["bǎi"], ["lín"]], "长坪": [["cháng"], ["píng"]], "堵河": [["dǔ"], ["hé"]]})
EXPECTED_PINYIN = {
    "堵河": "Du He", "犟河": "Jiang He", "神定河": "Shending He", "狮子沟": "Shizi Gou", "大沟": "Da Gou",
    "柏林沟": "Bailin Gou", "沉潭河": "Chentan He", "转头沟": "Zhuantou Gou", "相公沟": "Xianggong Gou",
    "燕沟": "Yan Gou", "岔河": "Cha He", "水堤沟": "Shuidi Gou", "张湾河": "Zhangwan He",
    "周家沟": "Zhoujia Gou", "斤坪沟": "Jinping Gou", "堰石沟": "Yanshi Gou", "茶店沟": "Chadian Gou",
}


# === helpers =============================================================================

def to_work(lonlat):
    x, y = TO_WORK.transform(*np.asarray(lonlat, float).T)
    return np.column_stack([x, y])


def to_lonlat(xy):
    lon, lat = TO_LONLAT.transform(*np.asarray(xy, float).T)
    return np.column_stack([lon, lat])


def rounded(lonlat):
    return np.round(np.asarray(lonlat, float), DECIMALS)


def crc_seed(text):
    # Python's hash() is salted per process; CRC-32 is stable, so the meanders never change.
    return zlib.crc32(text.encode("utf-8"))


def pinyin_name(name):
    """狮子沟 -> 'Shizi Gou': the specific part joined and capitalised, then the generic 沟/河."""
    generic = {"沟": "Gou", "河": "He"}[name[-1]]
    specific = "".join(lazy_pinyin(name, style=Style.NORMAL)[:-1])
    return f"{specific.capitalize()} {generic}"


def village_short(full):
    """'狮子沟村委会' -> '狮子沟村', '张湾居委会（郝家村）' -> '张湾社区'."""
    base = full.split("（")[0]
    for suffix, short in (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居委会", "社区"), ("村委会", "村")):
        if base.endswith(suffix):
            return base[: -len(suffix)] + short
    if "（" in full and full.endswith("居委会"):  # e.g. 王湾（王湾村）居委会
        return base + "社区"
    raise ValueError(f"unexpected village name {full!r}")


def load_district():
    """The outline in EPSG:4546 as one polygon (union of the file's two parts).

    The two parts share straight diagonal edges; their union has no slivers along those edges,
    but it does have a real gap (a hole of ~1.65 km², around 110.771,32.677) where the parts do
    not meet. We keep the hole as "outside" (nothing is placed in or within 100 m of it).
    """
    data = json.loads(BOUNDARY_FILE.read_text(encoding="utf-8"))
    (feature,) = data["features"]
    parts = feature["geometry"]["coordinates"]
    polygons = [Polygon(to_work(ring[0]), [to_work(r) for r in ring[1:]]) for ring in parts]
    district = unary_union(polygons)
    assert district.geom_type == "Polygon" and district.is_valid, district.geom_type
    return district


def load_villages():
    with VILLAGES_FILE.open(encoding="utf-8") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


class Inside:
    """Distance-to-outline tests and 'pull this point inside' for the district."""

    def __init__(self, district):
        self.district = district
        self.edge = district.boundary
        self._shrunk = {}

    def depth(self, xy):
        point = Point(xy)
        distance = self.edge.distance(point)
        return distance if self.district.contains(point) else -distance

    def shrunk(self, margin):
        if margin not in self._shrunk:
            self._shrunk[margin] = self.district.buffer(-margin, quad_segs=16)
        return self._shrunk[margin]

    def pull(self, xy, margin, exact=False):
        """Move a point to `margin` metres inside if it is not already (exactly there if `exact`)."""
        area = self.shrunk(margin)
        point = Point(xy)
        if exact or not area.contains(point):
            point = nearest_points(area.boundary, point)[0]
        return np.array([point.x, point.y])


def catmull_rom(points, spacing=5.0):
    """Centripetal Catmull-Rom spline through `points` (no overshoot loops, passes every point)."""
    pts = np.asarray(points, float)
    ext = np.vstack([2 * pts[0] - pts[1], pts, 2 * pts[-1] - pts[-2]])  # mirrored end handles
    out = [pts[:1]]
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1 : i + 3]
        t0 = 0.0
        t1 = t0 + np.linalg.norm(p1 - p0) ** 0.5
        t2 = t1 + np.linalg.norm(p2 - p1) ** 0.5
        t3 = t2 + np.linalg.norm(p3 - p2) ** 0.5
        n = max(2, int(np.linalg.norm(p2 - p1) / spacing))
        t = np.linspace(t1, t2, n + 1)[1:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    return np.vstack(out)


def chainage(pts):
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])


def resample(pts, step=STEP):
    """Evenly spaced vertices along the polyline; first and last points are kept exactly."""
    s = chainage(pts)
    n = max(1, round(s[-1] / step))
    target = np.linspace(0.0, s[-1], n + 1)
    out = np.column_stack([np.interp(target, s, pts[:, 0]), np.interp(target, s, pts[:, 1])])
    out[0], out[-1] = pts[0], pts[-1]
    return out


def meander(pts, seed, waves, ramp):
    """Add gentle sideways meanders: a few sines (amplitude m, wavelength m) with seeded phases
    and slightly jittered wavelengths, tapered smoothly to 0 at both ends."""
    rng = np.random.default_rng(seed)
    s = chainage(pts)
    length = s[-1]
    tangent = np.gradient(pts, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    offset = np.zeros_like(s)
    for amplitude, wavelength in waves:
        lam = wavelength * rng.uniform(0.85, 1.15)
        offset += amplitude * np.sin(2 * np.pi * s / lam + rng.uniform(0, 2 * np.pi))
    ramp = min(ramp, length / 3)
    u = np.clip(np.minimum(s, length - s) / ramp, 0.0, 1.0)
    taper = u * u * (3 - 2 * u)  # smoothstep: no kink where the meander starts
    return pts + (offset * taper)[:, None] * normal


def unit(v):
    return v / np.linalg.norm(v)


def direction_at(line, s, half=60.0):
    a = line.interpolate(max(0.0, s - half))
    b = line.interpolate(min(line.length, s + half))
    return unit(np.array([b.x - a.x, b.y - a.y]))


def mouth_on_parent(parent_xy, target_xy, upstream_of):
    """Index of the parent vertex nearest to the target (never the parent's first/last few)."""
    d = np.linalg.norm(parent_xy - target_xy, axis=1)
    d[:3] = d[-3:] = np.inf
    k = int(np.argmin(d))
    assert d[k] < 400, f"mouth target {upstream_of} is {d[k]:.0f} m from its parent"
    return k


def approach_points(parent_line, mouth_s, last_control, length, angle_range):
    """Two points on a straight run into the mouth, on the tributary's side of the parent.

    The run is `length` m long and meets the parent's local flow direction at an angle taken from
    the tributary's own heading, clamped to `angle_range` (degrees): always acute and pointing
    downstream, without a hairpin when the gully arrives square to the river."""
    mouth = parent_line.interpolate(mouth_s)
    m = np.array([mouth.x, mouth.y])
    t = direction_at(parent_line, mouth_s, half=80.0)
    normal = np.array([-t[1], t[0]])  # left of the flow
    heading = unit(m - np.asarray(last_control))
    side = np.sign(t[0] * heading[1] - t[1] * heading[0]) * -1  # +1: the tributary comes from the left bank
    assert side != 0
    angle = np.radians(np.clip(np.degrees(np.arccos(np.clip(heading @ t, -1, 1))), *angle_range))
    run = length * (-np.cos(angle) * t + side * np.sin(angle) * normal)
    return np.vstack([m + run, m + 0.5 * run])


def build_line(controls_xy, seed, waves, ramp):
    dense = catmull_rom(controls_xy)
    line = resample(dense, STEP / 4)
    line = meander(line, seed, waves, ramp)
    return resample(line, STEP)


# === build ===============================================================================

def resolve_controls(controls, inside, notes):
    xy = []
    for c in controls:
        if isinstance(c, str):  # an anchor point, by name
            xy.append(to_work([ANCHORS[c]])[0])
        elif c[0] == "edge":  # the river enters/leaves the district here: exactly `margin` m inside
            _, lon, lat, margin = c
            xy.append(inside.pull(to_work([(lon, lat)])[0], margin, exact=True))
        else:
            p = to_work([c])[0]
            moved = inside.pull(p, CONTROL_INSIDE)  # safety net; the notes say if it was needed
            if np.linalg.norm(moved - p) > 1:
                notes.append(f"control point {c} pulled {np.linalg.norm(moved - p):.0f} m inside")
            xy.append(moved)
    return np.array(xy)


def build_network(inside, notes):
    """Returns {code: dict(xy=EPSG:4546 array from rounded lon/lat, lonlat=rounded array, ...)}."""
    lines = {}

    def finish(code, xy, mouth_lonlat=None):
        lonlat = rounded(to_lonlat(xy))
        if mouth_lonlat is not None:
            lonlat[-1] = mouth_lonlat  # the parent's own rounded vertex: the two touch exactly
        lines[code]["lonlat"] = lonlat
        lines[code]["xy"] = to_work(lonlat)

    def tributary_controls(code, parent, controls_xy, mouth_target, approach_length=None):
        p = lines[parent]
        k = mouth_on_parent(p["xy"], to_work([mouth_target])[0], code)
        if approach_length is None:
            return np.vstack([controls_xy, p["xy"][k]]), p["lonlat"][k]
        parent_line = LineString(p["xy"])
        mouth_s = chainage(p["xy"])[k]
        approach = approach_points(parent_line, mouth_s, controls_xy[-1], approach_length, (30.0, 58.0))
        return np.vstack([controls_xy, approach, p["xy"][k]]), p["lonlat"][k]

    for river in RIVERS:  # parents first: 堵河 before 犟河
        code = river["code"]
        lines[code] = dict(river, kind="river")
        controls = resolve_controls(river["controls"], inside, notes)
        mouth = None
        if river["parent"]:
            approach = 400.0 if river.get("approach", True) else None
            controls, mouth = tributary_controls(code, river["parent"], controls, river["mouth"], approach)
        xy = build_line(controls, crc_seed(code), RIVER_WAVES, ramp=600.0)
        finish(code, xy, mouth)

    for code, name, village, parent, controls, mouth_target in GULLIES:
        anchors = [c for c in controls if isinstance(c, str)]
        lines[code] = dict(code=code, name=name, kind="gully", parent=parent, village=village,
                           town=village[:9], anchors=anchors)
        controls_xy = resolve_controls(controls, inside, notes)
        controls_xy, mouth = tributary_controls(code, parent, controls_xy, mouth_target, 300.0)
        xy = build_line(controls_xy, crc_seed(code), GULLY_WAVES, ramp=350.0)
        finish(code, xy, mouth)
    return lines


def gully_source_text(line, villages):
    village = villages[line["village"]]
    vname = village_short(village["name"])
    parent = next(r["name"] for r in RIVERS if r["code"] == line["parent"])
    named = "known stream name, at" if line["name"] in KNOWN_STREAMS else "Name from village"
    text = (f"近似示意，非实测。{named} {vname} ({village['town']}); position and course invented near the "
            f"village's town section of the {parent}")
    if line["anchors"]:
        text += f", through reference anchor {'、'.join(line['anchors'])}"
    if line["name"] == "张湾河":
        text += " (course 红卫/车城路 -> 人民广场, where it meets the 百二河 to form the 神定河, from the reference)"
    return text + "; not surveyed"


# === stations ============================================================================

def build_stations(lines, inside, villages):
    towns = {row["town_code"]: row["town"] for row in villages.values()}
    stations = []
    placed = []

    def free(xy):
        return inside.depth(xy) >= INSIDE_MIN + 20 and all(np.linalg.norm(xy - q) >= STATION_GAP + 20 for q in placed)

    for kind, entries in (("home", HOMES), ("liaison", LIAISONS)):
        for town, village, (how, what) in entries:
            if how == "anchor":
                xy = to_work([ANCHORS[what]])[0]
                source = f"位置取参考锚点（近似）: placed at reference anchor {what} (shared/reference)"
                if inside.depth(xy) < INSIDE_MIN + 20:
                    moved = inside.pull(xy, INSIDE_MIN + 30)
                    source += f", moved {np.linalg.norm(moved - xy):.0f} m to lie inside the district outline"
                    xy = moved
            else:
                g = lines[what]
                line = LineString(g["xy"])
                # Beside the gully, a little upstream of its middle; try both banks and a few spots.
                for frac, side in ((0.45, 1), (0.45, -1), (0.6, 1), (0.6, -1), (0.3, 1), (0.3, -1)):
                    s = frac * line.length
                    p = line.interpolate(s)
                    t = direction_at(line, s)
                    xy = np.array([p.x, p.y]) + side * 160.0 * np.array([-t[1], t[0]])
                    if free(xy):
                        break
                source = f"位置为虚构（近似）: placed near the village's gully {g['name']} ({what}); position invented"
            assert free(xy) or how == "anchor", (town, village, what)
            placed.append(xy)
            if kind == "home":
                name = f"{towns[town]}人大代表之家"
            else:
                assert villages[village]["town_code"] == town, village
                name = f"{village_short(villages[village]['name'])}人大代表联络站"
            stations.append(dict(kind=kind, name=name, town=town, village=village, source=source, xy=xy))

    for i, st in enumerate(stations, 1):
        st["code"] = f"ZW-S{i:02d}"
        st["lonlat"] = rounded(to_lonlat([st["xy"]]))[0]
        st["xy"] = to_work([st["lonlat"]])[0]
    return stations


# === checks ==============================================================================

def turn_angles(xy):
    d = np.diff(xy, axis=0)
    a = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    return np.abs((np.diff(a) + 180) % 360 - 180)


class Problems(list):
    """Collects every broken constraint, so one run shows all of them; main() then fails loudly."""

    def need(self, ok, message):
        if not ok:
            self.append(message)
        return ok


def check_network(lines, inside, villages, problems):
    rivers = [c for c, l in lines.items() if l["kind"] == "river"]
    gullies = [c for c, l in lines.items() if l["kind"] == "gully"]
    need = problems.need
    need(rivers == ["ZW-R01", "ZW-R02", "ZW-R03"], f"rivers: {rivers}")
    need(gullies == [f"ZW-G{i:02d}" for i in range(1, 40)], f"gullies: {gullies}")
    names = [l["name"] for l in lines.values()]
    need(len(set(names)) == len(names) == 42, "names are not 42 unique names")
    town_codes = {v["town_code"] for v in villages.values()}
    geoms = {c: LineString(l["xy"]) for c, l in lines.items()}

    for code, l in lines.items():
        g, xy = geoms[code], l["xy"]
        need(g.is_valid and g.is_simple, f"{code}: not a valid, simple line")
        need(len(np.unique(l["lonlat"], axis=0)) >= 2, f"{code}: fewer than 2 distinct vertices")
        seg = np.linalg.norm(np.diff(xy, axis=0), axis=1)
        need(seg.max() <= MAX_SEGMENT and seg.min() > 5, f"{code}: segment lengths {seg.min():.1f}..{seg.max():.1f} m")
        need(30 <= seg.mean() <= 60, f"{code}: mean vertex spacing {seg.mean():.1f} m")
        turn = turn_angles(xy).max()
        need(turn < MAX_TURN_DEG, f"{code}: turns {turn:.0f}° at one vertex")
        depth = min(inside.depth(p) for p in xy)
        need(depth >= INSIDE_MIN, f"{code}: comes {depth:.1f} m from the outline")
        need(l["town"] in town_codes, f"{code}: unknown town {l['town']}")
        if l["kind"] == "gully":
            need(l["village"] in villages and villages[l["village"]]["town_code"] == l["town"], f"{code}: village/town")
            km = geodesic_km(l["lonlat"])
            need(GULLY_LENGTH_KM[0] <= km <= GULLY_LENGTH_KM[1], f"{code}: {km:.2f} km long")
        if l["parent"]:
            parent = geoms[l["parent"]]
            mouth = Point(xy[-1])
            need(parent.distance(mouth) <= MOUTH_TOLERANCE, f"{code}: mouth {parent.distance(mouth):.2f} m from parent")
            need(l["lonlat"][-1].tolist() in lines[l["parent"]]["lonlat"].tolist(), f"{code}: mouth not a parent vertex")
            touch = g.intersection(parent)
            need(touch.is_empty or touch.hausdorff_distance(mouth) < 0.01, f"{code}: meets its parent away from the mouth")
            # acute join pointing downstream: angle between the last ~120 m and the parent's flow
            flow = direction_at(parent, parent.project(mouth))
            arrive = unit(xy[-1] - xy[-4])
            angle = math.degrees(math.acos(np.clip(np.dot(flow, arrive), -1, 1)))
            need(20 <= angle <= 70, f"{code}: joins its parent at {angle:.0f}°")
            # and does not run alongside its parent before the mouth
            if len(xy) > 12:
                d = LineString(xy[:-8]).distance(parent)
                need(d > 60, f"{code}: runs {d:.0f} m from its parent before the mouth")
    for river in RIVERS:
        g = geoms[river["code"]]
        for label, (ll, tol) in river["passes"].items():
            d = g.distance(Point(to_work([ll])[0]))
            need(d <= tol, f"{river['code']}: misses {label} by {d:.0f} m (allowed {tol})")

    codes = list(lines)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            la, lb = lines[a], lines[b]
            if la["parent"] == b or lb["parent"] == a:
                continue  # checked above: they touch only at the mouth
            if not need(not geoms[a].intersects(geoms[b]), f"{a} crosses {b}"):
                continue
            d = geoms[a].distance(geoms[b])
            need(d >= GULLY_GAP_NEAR_MOUTH, f"{a}/{b}: only {d:.0f} m apart")
            if la["kind"] == lb["kind"] == "gully":
                zone = Point(la["xy"][-1]).buffer(MOUTH_ZONE).union(Point(lb["xy"][-1]).buffer(MOUTH_ZONE))
                fa, fb = geoms[a].difference(zone), geoms[b].difference(zone)
                if not fa.is_empty and not fb.is_empty:
                    need(fa.distance(fb) >= GULLY_GAP, f"{a}/{b}: {fa.distance(fb):.0f} m apart away from mouths")


def check_stations(stations, inside, villages, problems):
    need = problems.need
    need(len(stations) == 35, f"{len(stations)} stations")
    need(len({s["code"] for s in stations}) == len({s["name"] for s in stations}) == 35, "station codes/names not unique")
    need(sum(s["kind"] == "home" for s in stations) == len(HOMES), "homes")
    for s in stations:
        depth = inside.depth(s["xy"])
        need(depth >= INSIDE_MIN, f"{s['code']} {s['name']}: {depth:.0f} m inside the outline")
        need(s["village"] is None or villages[s["village"]]["town_code"] == s["town"], f"{s['code']}: village/town")
    for i, a in enumerate(stations):
        for b in stations[i + 1 :]:
            d = np.linalg.norm(a["xy"] - b["xy"])
            need(d >= STATION_GAP, f"{a['code']}/{b['code']}: stations {d:.0f} m apart")


def geodesic_km(lonlat):
    return GEOD.line_length(lonlat[:, 0], lonlat[:, 1]) / 1000


# === output ==============================================================================

def write_collection(path, features):
    """One feature per line: readable and diff-friendly, still plain GeoJSON."""
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(", ", ": ")) for f in features)
    header = json.dumps({"type": "FeatureCollection", "crs": CRS_MEMBER}, ensure_ascii=False)[:-1]
    path.write_text(f'{header}, "features": [\n{body}\n]}}\n', encoding="utf-8")
    json.loads(path.read_text(encoding="utf-8"))  # still valid JSON


def waterway_features(lines, villages):
    features = []
    for code, l in lines.items():
        source = l["source"] if l["kind"] == "river" else gully_source_text(l, villages)
        props = {
            "code": code, "name": l["name"], "name_pinyin": pinyin_name(l["name"]), "kind": l["kind"],
            "parent": l["parent"], "town": l["town"], "village": l.get("village"),
            "accuracy": "approximate", "source": source,
        }
        coords = [[float(x), float(y)] for x, y in l["lonlat"]]
        features.append({"type": "Feature", "properties": props, "geometry": {"type": "LineString", "coordinates": coords}})
    return features


def station_features(stations):
    return [
        {
            "type": "Feature",
            "properties": {"code": s["code"], "name": s["name"], "kind": s["kind"], "town": s["town"],
                           "village": s["village"], "accuracy": "approximate", "source": s["source"]},
            "geometry": {"type": "Point", "coordinates": [float(s["lonlat"][0]), float(s["lonlat"][1])]},
        }
        for s in stations
    ]


def draw_preview(district, lines, stations, path=PREVIEW_FILE):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font = None
    for candidate in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                      "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"):
        if Path(candidate).exists():
            font_manager.fontManager.addfont(candidate)
            font = font_manager.FontProperties(fname=candidate).get_name()
            break
    if font:
        plt.rcParams["font.family"] = font
    plt.rcParams["axes.unicode_minus"] = False

    fig, ax = plt.subplots(figsize=(16, 12.5))
    outline = to_lonlat(np.array(district.exterior.coords))
    ax.fill(outline[:, 0], outline[:, 1], color="#f4f1e8", zorder=0)
    ax.plot(outline[:, 0], outline[:, 1], color="0.35", lw=1.0)
    for ring in district.interiors:  # the gap between the outline's two parts
        ll = to_lonlat(np.array(ring.coords))
        ax.fill(ll[:, 0], ll[:, 1], facecolor="white", edgecolor="0.35", hatch="///", lw=1.0, zorder=1)
        ax.text(ll[:, 0].min() - 0.002, ll[:, 1].max() + 0.002, "区界缺口 outline gap", fontsize=7, color="0.3", ha="right")
    for code, l in lines.items():
        ll = l["lonlat"]
        if l["kind"] == "river":
            ax.plot(ll[:, 0], ll[:, 1], color="#1f5fa8", lw=2.6, solid_capstyle="round", zorder=3)
            mid = ll[int(len(ll) * 0.42)]
            ax.text(mid[0], mid[1], l["name"], fontsize=13, color="#0b3d7a", weight="bold", zorder=6,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
        else:
            ax.plot(ll[:, 0], ll[:, 1], color="#4a9fd8", lw=0.9, zorder=2)
            ax.plot(*ll[0], marker="o", ms=1.5, color="#4a9fd8")
            lab = ll[int(len(ll) * 0.3)]
            ax.text(lab[0], lab[1], l["name"], fontsize=7, color="#165a8c", zorder=5)
    for s in stations:
        lon, lat = s["lonlat"]
        if s["kind"] == "home":
            ax.plot(lon, lat, marker="s", ms=6, color="#d98c00", mec="k", mew=0.5, zorder=7)
            ax.text(lon + 0.002, lat - 0.003, s["name"].replace("人大代表之家", "之家"), fontsize=7, color="#8a5300", zorder=7)
        else:
            ax.plot(lon, lat, marker="o", ms=4, color="#2e9d4a", mec="k", mew=0.4, zorder=7)
    anchors = np.array(list(ANCHORS.values()))
    ax.plot(anchors[:, 0], anchors[:, 1], ".", color="red", ms=3, zorder=8)
    from matplotlib.lines import Line2D
    ax.legend(handles=[
        Line2D([], [], color="#1f5fa8", lw=2.6, label="河流 river"),
        Line2D([], [], color="#4a9fd8", lw=0.9, label="支沟 gully"),
        Line2D([], [], marker="s", ls="", color="#d98c00", mec="k", label="人大代表之家 home"),
        Line2D([], [], marker="o", ls="", color="#2e9d4a", mec="k", label="联络站 liaison station"),
        Line2D([], [], marker=".", ls="", color="red", label="参考锚点 reference anchor"),
    ], loc="lower right", fontsize=9)
    ax.set_aspect(1 / math.cos(math.radians(32.65)))
    ax.set_title("张湾区 河流、支沟与代表家站（近似示意，非实测） — RiverWatch gis_data preview", fontsize=13)
    ax.grid(lw=0.3, alpha=0.5)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_summary(lines):
    def cell(text, width):  # pad Chinese names by display width (CJK characters are 2 columns)
        return text + " " * (width - sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))

    print(f"{'code':<7} {cell('name', 9)} {'kind':<6} {'parent':<7} {'km':>6} {'vertices':>8}")
    gully_km = {}
    for code, l in lines.items():
        km = geodesic_km(l["lonlat"])
        if l["kind"] == "gully":
            gully_km[l["parent"]] = gully_km.get(l["parent"], 0.0) + km
        print(f"{code:<7} {cell(l['name'], 9)} {l['kind']:<6} {l['parent'] or '-':<7} {km:6.2f} {len(l['lonlat']):8d}")
    for code in ("ZW-R01", "ZW-R02", "ZW-R03"):
        river = geodesic_km(lines[code]["lonlat"])
        print(f"{lines[code]['name']}: river {river:.2f} km + its {sum(l['parent'] == code and l['kind'] == 'gully' for l in lines.values())}"
              f" gullies {gully_km.get(code, 0):.2f} km = {river + gully_km.get(code, 0):.2f} km")


def main():
    notes = []
    district = load_district()
    inside = Inside(district)
    villages = load_villages()

    for name, expected in EXPECTED_PINYIN.items():
        assert pinyin_name(name) == expected, (name, pinyin_name(name), expected)

    problems = Problems()
    lines = build_network(inside, notes)
    check_network(lines, inside, villages, problems)
    stations = build_stations(lines, inside, villages)
    check_stations(stations, inside, villages, problems)
    for note in notes:
        print("note:", note)
    if problems:
        if "--draw-anyway" in sys.argv:  # for tuning the control points by eye
            draw_preview(district, lines, stations, Path(sys.argv[-1]))
        raise AssertionError("constraints broken:\n  " + "\n  ".join(problems))

    write_collection(WATERWAYS_FILE, waterway_features(lines, villages))
    write_collection(STATIONS_FILE, station_features(stations))
    draw_preview(district, lines, stations)

    print_summary(lines)
    print(f"wrote {WATERWAYS_FILE.name} (42 lines), {STATIONS_FILE.name} ({len(stations)} points), {PREVIEW_FILE.name}")


if __name__ == "__main__":
    main()
