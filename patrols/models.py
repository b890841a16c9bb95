"""Work done at the river: activities, the people who took part (service records), photos,
and the reaches each patrol covered. Geometry is stored in settings.GIS_SRID (metres)."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from people.models import CHIEF_LEVELS, Person, Role
from riverwatch.dates import FIRST_DAY, LAST_DAY
from riverwatch.text import without_invisible

from . import track_bands


class Activity(models.Model):
    class Kind(models.TextChoices):
        PATROL = "patrol", _("巡河")
        CLEANUP = "cleanup", _("清漂保洁")
        SEWER_INSPECTION = "sewer_inspection", _("污水管网排查")
        GARBAGE_SORTING = "garbage_sorting", _("垃圾分类宣传")
        OTHER = "other", _("其他服务")
        PROBLEM_REPORT = "problem_report", _("问题上报")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        VERIFIED = "verified", _("已审核")
        REJECTED = "rejected", _("已驳回")

    class LocationSource(models.TextChoices):
        GPS = "gps", _("手机定位")
        MAP = "map", _("地图选点")
        GPX = "gpx", _("GPX 文件")
        PHOTO = "photo", _("照片位置信息")
        NONE = "", _("无位置")

    client_uuid = models.UUIDField(_("客户端编号"), unique=True, help_text=_("手机生成，重复提交只存一次。"))
    # SHA-256 of the submitted body: the same uuid with another body is a conflict, not a retry.
    payload_sha256 = models.CharField(max_length=64, editable=False)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submitted_activities", verbose_name=_("提交人")
    )
    started_at = models.DateTimeField(_("开始时间（设备）"))
    ended_at = models.DateTimeField(_("结束时间（设备）"))
    received_at = models.DateTimeField(_("服务器接收时间"), auto_now_add=True)

    track = models.MultiLineStringField(_("轨迹"), srid=settings.GIS_SRID, null=True, blank=True, spatial_index=False)
    point = models.PointField(_("位置"), srid=settings.GIS_SRID, null=True, blank=True, spatial_index=False)
    location_source = models.CharField(
        _("位置来源"), max_length=8, choices=LocationSource.choices, blank=True, default=LocationSource.NONE
    )

    waterway = models.ForeignKey(
        "waterways.Waterway", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities",
        verbose_name=_("河流/支沟"),
    )
    waterway_position_m = models.FloatField(_("距源头（米）"), null=True, blank=True)
    off_network = models.BooleanField(
        _("不在水系附近"), default=False, help_text=_("位置距最近河道超过吸附距离。")
    )

    distance_m = models.FloatField(_("里程（米）"), default=0)
    duration_s = models.PositiveIntegerField(_("时长（秒）"), default=0)
    # Audit of the track cleaning: fixes received/dropped, segments, speed flags.
    track_quality = models.JSONField(_("轨迹质量"), default=dict, blank=True)

    debris_kg = models.DecimalField(_("清理垃圾（公斤）"), max_digits=8, decimal_places=1, null=True, blank=True)
    bags = models.PositiveIntegerField(_("垃圾袋数"), null=True, blank=True)
    manholes_checked = models.PositiveIntegerField(_("排查检查井（个）"), null=True, blank=True)
    outfalls_checked = models.PositiveIntegerField(_("排查排污口（个）"), null=True, blank=True)
    findings = models.TextField(_("发现问题"), blank=True)
    notes = models.TextField(_("备注"), blank=True)

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="reviewed_activities",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    # Participants not counted again because they already had a service record for an activity
    # overlapping this one in time: [{"person": id, "name": ..., "activity": id}].
    skipped_participants = models.JSONField(_("未重复计入的人员"), default=list, blank=True)
    # Participants staff removed afterwards (their service record deleted), kept as the trail:
    # [{"person": id, "name": ..., "hours": "1.5", "by": user id, "at": ISO time, "reason": ...}].
    # db_default: rows written in plain SQL (benchmarks) get [] without naming the column.
    removed_participants = models.JSONField(_("已移除的参与人员"), default=list, db_default=[], blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        indexes = [
            GistIndex(fields=["track"], name="activity_track_gist"),
            GistIndex(fields=["point"], name="activity_point_gist"),
            models.Index(fields=["started_at"], name="activity_started"),
            models.Index(fields=["status", "started_at"], name="activity_status_started"),
            models.Index(fields=["waterway", "started_at"], name="activity_waterway_started"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(track__isnull=True) | Q(track__isvalid=True), name="activity_track_valid"),
            models.CheckConstraint(condition=Q(point__isnull=True) | Q(point__isvalid=True), name="activity_point_valid"),
            models.CheckConstraint(condition=Q(ended_at__gte=F("started_at")), name="activity_ends_after_start"),
            models.CheckConstraint(condition=Q(distance_m__gte=0), name="activity_distance_not_negative"),
            models.CheckConstraint(
                condition=Q(debris_kg__isnull=True) | Q(debris_kg__gte=0), name="activity_debris_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="submitted", reviewed_by__isnull=True)
                | (~Q(status="submitted") & Q(reviewed_by__isnull=False, reviewed_at__isnull=False)),
                name="activity_review_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(review_note=""), name="activity_rejection_has_reason"
            ),
            # On district days the app accepts (riverwatch.dates), whoever writes: a time far outside
            # could not be shown, and would break every page and list with the activity.
            models.CheckConstraint(
                condition=Q(started_at__date__gte=FIRST_DAY, ended_at__date__lte=LAST_DAY), name="activity_times_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def distance_km(self):
        return self.distance_m / 1000

    @property
    def duration_min(self):
        return round(self.duration_s / 60)


# Kinds that create no service record and are never measured against the patrol rules. A
# problem report takes a minute at the river: counting it as a service toward the target would
# reward reporting over river work.
KINDS_WITHOUT_SERVICE = frozenset({Activity.Kind.PROBLEM_REPORT})


class RawTrack(models.Model):
    """Every fix the phone sent, before cleaning, kept for audit: [lon, lat, unix_ms, accuracy_m]."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="raw_track", primary_key=True)
    fixes = models.JSONField(_("原始定位点"))
    source = models.CharField(_("来源"), max_length=8, choices=[("points", _("定位点")), ("geojson", "GeoJSON"), ("gpx", "GPX")])

    class Meta:
        verbose_name = _("原始轨迹")
        verbose_name_plural = _("原始轨迹")


class ServiceRecord(models.Model):
    """One person taking part in one activity: the unit of the service-record target."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="service_records", verbose_name=_("活动"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="service_records", verbose_name=_("人员"))
    role = models.CharField(_("当时身份"), max_length=16, choices=Role.choices)
    level = models.CharField(_("当时级别"), max_length=16, blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=1)

    class Meta:
        ordering = ["activity_id", "id"]
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="service_record_once_per_activity"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="service_record_hours_not_negative"),
        ]
        indexes = [models.Index(fields=["person", "activity"], name="service_record_person")]

    def __str__(self):
        return f"{self.person} · {self.activity}"


class ReachVisit(models.Model):
    """A patrol covered at least half of a reach (within PATROL_BUFFER_M of its track)."""

    # The database deletes a reach's visits with it (ON DELETE CASCADE, migration 0006): re-cutting
    # the reaches deletes them with plain SQL, and no visit may outlive its reach. Django 5.2 cannot
    # declare this: a migration that alters this field recreates the foreign key without it, so
    # such a migration must run 0006's CASCADE_SQL again.
    reach = models.ForeignKey("waterways.Reach", on_delete=models.CASCADE, related_name="visits")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="reach_visits")
    visited_at = models.DateTimeField()
    covered_fraction = models.FloatField()

    class Meta:
        verbose_name = _("河段巡查记录")
        verbose_name_plural = _("河段巡查记录")
        constraints = [
            models.UniqueConstraint(fields=["reach", "activity"], name="reach_visit_once"),
            models.CheckConstraint(
                condition=Q(covered_fraction__gte=0) & Q(covered_fraction__lte=1.000001), name="reach_visit_fraction"
            ),
        ]
        indexes = [
            models.Index(fields=["reach", "visited_at"], name="reach_visit_reach_time"),
            models.Index(fields=["activity"], name="reach_visit_activity"),
        ]


class ReachVisitYear(models.Model):
    """The reach's visits in one year (Beijing dates) by the activities that count, of one kind and with
    someone of one role taking part ('' for either: every kind, anyone), kept as the last moment of each
    day visited, in order. Coverage, gaps and freshness read a reach's latest visit before a moment from
    here (a binary search in one short array) instead of from every visit: patrols.rollups holds the
    rule and the SQL; patrols.services keeps the rows in step with the visits, in the same transaction.
    `manage.py check_rollups` compares them with the visits and rebuilds them."""

    ANY = ""

    # Deleted with its reach by the database, like the visits: migration 0013 adds the foreign key
    # with ON DELETE CASCADE itself, which Django 5.2 cannot declare. Both are looked up through the
    # indexes below (the unique key leads with the reach).
    reach = models.ForeignKey("waterways.Reach", on_delete=models.CASCADE, related_name="+", db_index=False,
                              db_constraint=False)
    waterway = models.ForeignKey("waterways.Waterway", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                                 related_name="+", help_text="the reach's waterway, copied so reads group without a join")
    reach_length_m = models.FloatField(help_text="the reach's length, copied so coverage sums without a join")
    year = models.SmallIntegerField()
    kind = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=32, blank=True)
    day_last = ArrayField(models.DateTimeField(), help_text="the last visit of each day visited, ascending")
    visits = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("河段年度巡查汇总")
        verbose_name_plural = _("河段年度巡查汇总")
        constraints = [
            models.UniqueConstraint(fields=["reach", "year", "kind", "role"], name="reach_visit_year_once"),
            models.CheckConstraint(condition=Q(visits__gte=1), name="reach_visit_year_not_empty"),
        ]
        indexes = [
            # What a read takes, in the order it aggregates (waterway, reach), read from the index alone.
            models.Index(fields=["kind", "role", "waterway", "reach", "year"], include=["reach_length_m", "day_last"],
                         name="reach_visit_year_read"),
        ]


class ActivityCell(models.Model):
    """Activities that lie in one cell of the activity tiles' grid at one zoom (`level`), started in one
    span of Beijing days (a year, a month or a day, from `first_day`), of one kind, status and
    waterway: how many, and the sum of their offsets from the cell's centre. A tile of activities
    over a year at zoom 8 then sums a few thousand rows instead of locating 100,000 activities
    (reports.selectors.tiles). Kept by database triggers on patrols_activity, whatever writes it
    (migration 0015 holds the SQL); patrols.cells reads and checks them."""

    level = models.SmallIntegerField()
    grain = models.CharField(max_length=1)  # "y", "m" or "d": the span's length
    first_day = models.DateField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    kind = models.CharField(max_length=24)
    status = models.CharField(max_length=16)
    waterway = models.ForeignKey("waterways.Waterway", null=True, on_delete=models.DO_NOTHING, db_constraint=False,
                                 db_index=False, related_name="+")
    n = models.IntegerField()
    dx = models.FloatField(help_text="sum of the activities' x less the cell centre's (EPSG:3857 metres)")
    dy = models.FloatField(help_text="sum of the activities' y less the cell centre's (EPSG:3857 metres)")

    class Meta:
        verbose_name = _("活动瓦片网格汇总")
        verbose_name_plural = _("活动瓦片网格汇总")
        constraints = [
            # Also the read's index: a tile asks for one level and span and a range of cells.
            models.UniqueConstraint(fields=["level", "grain", "first_day", "cx", "cy", "kind", "status", "waterway"],
                                    name="activity_cell_once", nulls_distinct=False),
        ]
        indexes = [
            # The rows a deletion emptied, found at once and removed by the same trigger.
            models.Index(fields=["id"], condition=Q(n=0), name="activity_cell_empty"),
        ]


class TrackBand(models.Model):
    """An activity's track as a tile of tracks draws it at one zoom: simplified to half a pixel of that
    zoom in the storage SRID and turned into Web Mercator, with what the tile's filters and reading
    rule ask of the activity copied beside it. A tile at zooms 9-12 (a province's tracks by the
    thousand) then only clips and encodes (reports.selectors.tiles). Kept by database triggers on
    patrols_activity, whoever writes it (migrations 0015 and 0018 hold the SQL); patrols.track_bands checks
    them."""

    activity = models.ForeignKey(Activity, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                                 related_name="+")
    zoom = models.SmallIntegerField()
    geom = models.MultiLineStringField(srid=3857, null=True, spatial_index=False)
    kind = models.CharField(max_length=24)
    status = models.CharField(max_length=16)
    started_at = models.DateTimeField()
    waterway_id = models.BigIntegerField(null=True)
    submitted_by_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("轨迹瓦片简化线")
        verbose_name_plural = _("轨迹瓦片简化线")
        constraints = [models.UniqueConstraint(fields=["activity", "zoom"], name="track_band_once")]
        # A zoom's tile reads its own band only. Written as an expression (F) because Django 5.2's
        # PostGIS schema editor drops the condition of an index on one geometry field (ticket
        # #36694): the index then held every zoom's rows and a tile sifted through four times as many.
        indexes = [GistIndex(F("geom"), condition=Q(zoom=zoom), name=f"track_band_z{zoom}_gist")
                   for zoom in track_bands.ZOOMS]


def photo_path(photo, filename):
    return f"photos/{photo.activity_id}/{filename}"


class Photo(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos", verbose_name=_("活动"))
    # Which of the activity's problems the photo shows, if any (always one of the same activity).
    problem = models.ForeignKey(
        "problems.Problem", null=True, blank=True, on_delete=models.SET_NULL, related_name="photos", verbose_name=_("问题")
    )
    image = models.ImageField(_("照片"), upload_to=photo_path)
    thumbnail = models.ImageField(_("缩略图"), upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    # Of the uploaded bytes: the same photo sent twice is stored once.
    sha256 = models.CharField(max_length=64)
    exif_point = models.PointField(_("照片位置信息"), srid=settings.GIS_SRID, null=True, blank=True, spatial_index=False)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["activity_id", "id"]
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        constraints = [
            models.UniqueConstraint(fields=["activity", "sha256"], name="photo_once_per_activity"),
            models.CheckConstraint(
                condition=Q(exif_point__isnull=True) | Q(exif_point__isvalid=True), name="photo_point_valid"
            ),
            # Taken on a district day the app accepts: a time far outside (EXIF's year 1) could
            # not be shown, breaking every page and list with the photo's activity.
            models.CheckConstraint(
                condition=Q(taken_at__isnull=True) | Q(taken_at__date__gte=FIRST_DAY, taken_at__date__lte=LAST_DAY),
                name="photo_taken_at_in_range",
            ),
        ]


class PatrolRule(models.Model):
    """How often and how long a river chief of a level must patrol (editable by the office)."""

    class Period(models.TextChoices):
        WEEK = "week", _("每周")
        MONTH = "month", _("每月")
        QUARTER = "quarter", _("每季度")

    level = models.CharField(
        _("河长级别"), max_length=16, unique=True, choices=[(level.value, level.label) for level in CHIEF_LEVELS]
    )
    min_duration_min = models.PositiveIntegerField(_("每次最少时长（分钟）"))
    min_distance_m = models.PositiveIntegerField(_("每次最少里程（米）"), default=0)
    required_count = models.PositiveIntegerField(_("每周期最少次数"), default=1)
    period = models.CharField(_("周期"), max_length=8, choices=Period.choices)
    season_start_month = models.PositiveSmallIntegerField(_("考核起始月"), default=1)
    season_end_month = models.PositiveSmallIntegerField(_("考核结束月"), default=12)
    source = models.CharField(_("依据"), max_length=255, blank=True)

    class Meta:
        ordering = ["level"]
        verbose_name = _("巡河规则")
        verbose_name_plural = _("巡河规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(season_start_month__gte=1, season_start_month__lte=12, season_end_month__gte=1, season_end_month__lte=12),
                name="patrol_rule_months",
            ),
            models.CheckConstraint(condition=Q(level__in=CHIEF_LEVELS), name="patrol_rule_level"),
        ]

    def __str__(self):
        return f"{self.get_level_display()}"


class ServiceCampaign(models.Model):
    """A target the office sets for service records over a period: the district's 3,200 over
    2025–2026, and whatever the office sets next. Edited by staff in the admin."""

    name = models.CharField(_("名称"), max_length=64, help_text=_("例如：2025—2026 年志愿服务目标"))
    target = models.PositiveIntegerField(_("目标（条）"), validators=[MinValueValidator(1)],
                                         help_text=_("这一期要达到的服务记录条数。"))
    start = models.DateField(_("开始日期"), help_text=_("北京时间，含当天。"))
    end = models.DateField(_("结束日期"), help_text=_("北京时间，含当天。"))
    definition = models.TextField(
        _("统计口径"), blank=True,
        help_text=_("这一期怎样算一条服务记录。留空则用标准口径：一人参加一次活动计 1 条，被驳回的不计。"),
    )

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("服务记录目标")
        verbose_name_plural = _("服务记录目标")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="service_campaign_dates"),
            models.CheckConstraint(condition=Q(target__gt=0), name="service_campaign_target_positive"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.name = without_invisible(self.name)
        for name in ("start", "end"):
            day = getattr(self, name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise ValidationError({name: _("日期应在 %(first)s 到 %(last)s 之间。")
                                       % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}})
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})
