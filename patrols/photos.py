"""Photo handling: only real JPEG/PNG/WebP, no decompression bombs, the GPS position read from
EXIF, then a clean re-encoded copy (no EXIF, so no position or phone details leak) and a thumbnail."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003


class PhotoError(ValueError):
    pass


@dataclass
class ProcessedPhoto:
    image: bytes  # re-encoded JPEG without metadata
    width: int
    height: int
    thumbnail: bytes
    sha256: str
    lonlat: tuple | None  # from EXIF GPS
    taken_at: datetime | None


def _degrees(value, ref):
    degrees, minutes, seconds = (float(part) for part in value)
    decimal = degrees + minutes / 60 + seconds / 3600
    return -decimal if ref in ("S", "W") else decimal


def _exif_position(exif):
    gps = exif.get_ifd(GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"))
        lon = _degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lon, lat


def _exif_time(exif):
    text = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
    try:
        # EXIF time has no zone; phones write local time, which here is Beijing time.
        return timezone.make_aware(datetime.strptime(str(text), "%Y:%m:%d %H:%M:%S"))
    except (TypeError, ValueError):
        return None


def _jpeg(image, edge):
    copy = image.copy()
    copy.thumbnail((edge, edge))
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=85, optimize=True)  # no exif= argument: metadata is dropped
    return buffer.getvalue(), copy.size


def process(data: bytes) -> ProcessedPhoto:
    if len(data) > settings.PHOTO_MAX_BYTES:
        raise PhotoError(
            _("照片太大（%(size).1f MB），上限 %(max).0f MB。") % {"size": len(data) / 1e6, "max": settings.PHOTO_MAX_BYTES / 1e6}
        )
    Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise PhotoError(_("只接受 JPEG、PNG 或 WebP 照片（收到的是 %(format)s）。") % {"format": image.format})
            exif = image.getexif()
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(_("照片像素太多，上限 %(max)s 万像素。") % {"max": settings.PHOTO_MAX_PIXELS // 10_000}) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise PhotoError(_("文件不是可识别的图片。")) from None

    lonlat, taken_at = _exif_position(exif), _exif_time(exif)
    upright = ImageOps.exif_transpose(image).convert("RGB")
    stored, (width, height) = _jpeg(upright, settings.PHOTO_STORED_EDGE_PX)
    thumbnail, _size = _jpeg(upright, settings.PHOTO_THUMBNAIL_EDGE_PX)
    return ProcessedPhoto(
        image=stored,
        width=width,
        height=height,
        thumbnail=thumbnail,
        sha256=hashlib.sha256(data).hexdigest(),
        lonlat=lonlat,
        taken_at=taken_at,
    )
