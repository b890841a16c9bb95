"""The district's places and water network. Geometry is stored in settings.GIS_SRID (metres)."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Accuracy(models.TextChoices):
    SURVEYED = "surveyed", _("实测")
    DIGITISED = "digitised", _("图上数字化")
    APPROXIMATE = "approximate", _("近似（示意）")


def _valid_geometry(name):
    return models.CheckConstraint(condition=Q(geom__isvalid=True), name=name)


class District(models.Model):
    adcode = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    accuracy = models.CharField(_("精度"), max_length=16, choices=Accuracy.choices)
    source = models.TextField(_("来源"), blank=True)
    geom = models.MultiPolygonField(_("边界"), srid=settings.GIS_SRID, spatial_index=False)

    class Meta:
        verbose_name = _("区县边界")
        verbose_name_plural = _("区县边界")
        indexes = [GistIndex(fields=["geom"], name="district_geom_gist")]
        constraints = [_valid_geometry("district_geom_valid")]

    def __str__(self):
        return self.name


class Town(models.Model):
    """镇/乡/街道, with the official 9-digit code."""

    code = models.CharField(_("代码"), max_length=9, unique=True)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        ordering = ["code"]
        verbose_name = _("乡镇街道")
        verbose_name_plural = _("乡镇街道")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^\d{9}$"), name="town_code_9_digits")
        ]

    def __str__(self):
        return self.name


class Village(models.Model):
    """村/社区, with the official 12-digit code (2020 list)."""

    code = models.CharField(_("代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="villages", verbose_name=_("乡镇街道"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("村（社区）")
        verbose_name_plural = _("村（社区）")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^\d{12}$"), name="village_code_12_digits")
        ]

    def __str__(self):
        return self.name


class Station(models.Model):
    """人大代表之家 / 联络站 (家站): where deputies meet residents."""

    class Kind(models.TextChoices):
        HOME = "home", _("人大代表之家")
        LIAISON = "liaison", _("人大代表联络站")

    code = models.CharField(_("编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="stations", verbose_name=_("乡镇街道"))
    village = models.ForeignKey(
        Village, null=True, blank=True, on_delete=models.SET_NULL, related_name="stations", verbose_name=_("村（社区）")
    )
    address = models.CharField(_("地址"), max_length=255, blank=True)
    accuracy = models.CharField(_("位置精度"), max_length=16, choices=Accuracy.choices, default=Accuracy.APPROXIMATE)
    source = models.TextField(_("来源"), blank=True)
    geom = models.PointField(_("位置"), srid=settings.GIS_SRID, spatial_index=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("代表家站")
        verbose_name_plural = _("代表家站")
        indexes = [GistIndex(fields=["geom"], name="station_geom_gist")]
        constraints = [_valid_geometry("station_geom_valid")]

    def __str__(self):
        return self.name


class Waterway(models.Model):
    """A river or gully, drawn from source to mouth (the last vertex is the mouth)."""

    class Kind(models.TextChoices):
        RIVER = "river", _("河流")
        GULLY = "gully", _("支沟")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_pinyin = models.CharField(_("拼音名"), max_length=128, blank=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="tributaries", verbose_name=_("汇入河流")
    )
    town = models.ForeignKey(
        Town, null=True, blank=True, on_delete=models.SET_NULL, related_name="waterways", verbose_name=_("所在乡镇")
    )
    village = models.ForeignKey(
        Village, null=True, blank=True, on_delete=models.SET_NULL, related_name="waterways", verbose_name=_("得名村")
    )
    length_m = models.FloatField(_("长度（米）"), default=0, editable=False)
    # Its reaches' count and summed length, set whenever they are cut (services.rebuild_reaches), so
    # a province's coverage needs no pass over every reach for the totals.
    reach_count = models.PositiveIntegerField(_("河段数"), default=0, editable=False)
    reach_length_m = models.FloatField(_("河段总长（米）"), default=0, editable=False)
    accuracy = models.CharField(_("精度"), max_length=16, choices=Accuracy.choices, default=Accuracy.APPROXIMATE)
    source = models.TextField(_("来源"), blank=True)
    geom = models.LineStringField(_("河道中心线"), srid=settings.GIS_SRID, spatial_index=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-kind", "code"]  # rivers first ('river' > 'gully'), then by code
        verbose_name = _("河流/支沟")
        verbose_name_plural = _("河流/支沟")
        indexes = [GistIndex(fields=["geom"], name="waterway_geom_gist")]
        constraints = [
            _valid_geometry("waterway_geom_valid"),
            models.CheckConstraint(condition=Q(kind="river") | Q(parent__isnull=False), name="gully_has_parent"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="waterway_not_own_parent"),
            models.CheckConstraint(condition=Q(length_m__gte=0), name="waterway_length_not_negative"),
        ]

    @property
    def length_km(self):
        return self.length_m / 1000

    def __str__(self):
        return f"{self.name} ({self.code})"


class Reach(models.Model):
    """A fixed-length piece of a waterway (REACH_LENGTH_M), the unit of coverage and gaps.
    start_m/end_m are distances from the source along the line, in metres."""

    waterway = models.ForeignKey(Waterway, on_delete=models.CASCADE, related_name="reaches", verbose_name=_("河流/支沟"))
    seq = models.PositiveIntegerField(_("序号"))
    start_m = models.FloatField(_("起点（米）"))
    end_m = models.FloatField(_("终点（米）"))
    geom = models.LineStringField(_("河段"), srid=settings.GIS_SRID, spatial_index=False)
    neighbours = models.ManyToManyField(
        "self", through="ReachLink", symmetrical=False, related_name="+", verbose_name=_("相邻河段")
    )

    class Meta:
        ordering = ["waterway_id", "seq"]
        verbose_name = _("河段")
        verbose_name_plural = _("河段")
        indexes = [GistIndex(fields=["geom"], name="reach_geom_gist")]
        constraints = [
            _valid_geometry("reach_geom_valid"),
            models.UniqueConstraint(fields=["waterway", "seq"], name="reach_unique_seq"),
            models.CheckConstraint(condition=Q(start_m__gte=0) & Q(end_m__gt=F("start_m")), name="reach_positive_span"),
        ]

    @property
    def length_m(self):
        return self.end_m - self.start_m

    def __str__(self):
        return f"{self.waterway.code}#{self.seq}"


class ReachLink(models.Model):
    """Adjacency between reaches, stored in both directions: next along a waterway, or
    across a junction (a tributary's mouth reach and the nearest reach of its parent)."""

    class Kind(models.TextChoices):
        ALONG = "along", _("同一河道相邻")
        JUNCTION = "junction", _("汇流口")

    reach = models.ForeignKey(Reach, on_delete=models.CASCADE, related_name="links")
    neighbour = models.ForeignKey(Reach, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        verbose_name = _("河段相邻关系")
        verbose_name_plural = _("河段相邻关系")
        constraints = [
            models.UniqueConstraint(fields=["reach", "neighbour"], name="reachlink_unique_pair"),
            models.CheckConstraint(condition=~Q(reach=F("neighbour")), name="reachlink_not_self"),
        ]
