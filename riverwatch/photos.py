"""Photo handling: only real JPEG/PNG/WebP (and MPO, a JPEG with more pictures after it), no
decompression bombs, the GPS position and time read from EXIF, then a clean re-encoded copy and a
thumbnail that carry the pixels alone: no EXIF, XMP, comment, text chunk, IPTC or colour profile,
so no position, phone details or planted text leak or get served back."""

from __future__ import annotations

import functools
import hashlib
import io
import math
import numbers
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageFile, ImageOps

from riverwatch.dates import FIRST_DAY, LAST_DAY

# MPO: what Android phones save for depth or Ultra HDR shots; its first picture is the photo.
ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
_EXIF_TIME = re.compile(r"[0-9]{4}:[0-9]{2}:[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
# An ICC profile's colour space and the image mode its pixels come in.
_PROFILE_MODES = {"RGB": "RGB", "CMYK": "CMYK", "GRAY": "L"}


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


# EXIF is whatever the sender's phone, or the sender, wrote: any tag may hold any type, and
# Pillow's parser may fail on a broken block. Nothing read from it may fail an upload: a value
# that is missing, of the wrong type, malformed or out of range is no value (None).


def _number(part) -> float:
    if isinstance(part, bool) or not isinstance(part, numbers.Real):  # not str, bytes, tuples…
        raise TypeError(part)
    value = float(part)  # OverflowError for a huge one; a zero denominator gives nan
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(part)
    return value


def _degrees(value, ref, hemispheres):
    """Decimal degrees from EXIF's (degrees, minutes, seconds) and its N/S or E/W reference."""
    if not isinstance(value, tuple | list) or len(value) != 3:
        raise TypeError(value)
    degrees, minutes, seconds = (_number(part) for part in value)
    if minutes > 60 or seconds > 60:
        raise ValueError(value)
    if not isinstance(ref, str):
        raise TypeError(ref)
    if ref.strip() not in hemispheres:  # only N/S, resp. E/W: no guessing
        raise ValueError(ref)
    decimal = degrees + minutes / 60 + seconds / 3600
    return -decimal if ref.strip() == hemispheres[1] else decimal


def _exif_position(exif):
    """(lon, lat) from the GPS block, or None when any part of it is missing or odd."""
    try:
        gps = exif.get_ifd(GPS_IFD)
        lat = _degrees(gps.get(2), gps.get(1), ("N", "S"))
        lon = _degrees(gps.get(4), gps.get(3), ("E", "W"))
    except Exception:  # see above: a broken block or value is no position
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lon, lat


def _exif_time(exif):
    """DateTimeOriginal as a moment, or None unless it is a real time on a day the app accepts
    (FIRST_DAY … LAST_DAY): a photo "taken" in year 1 could not be shown on any page."""
    try:
        text = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
        if not isinstance(text, str) or not _EXIF_TIME.fullmatch(text.strip(" ")):
            return None
        moment = datetime.strptime(text.strip(" "), "%Y:%m:%d %H:%M:%S")  # ValueError for 2024:02:30
        if not FIRST_DAY <= moment.date() <= LAST_DAY:
            return None
        # EXIF time has no zone; phones write local time, which here is Beijing time.
        return timezone.make_aware(moment, timezone.get_default_timezone())
    except Exception:  # see above
        return None


def _read_exif(image):
    try:
        return image.getexif()
    except Exception:  # see above: a broken EXIF block is no EXIF
        return Image.Exif()


def _upright(image):
    """The image turned as its EXIF orientation says (kept as it is if that cannot be read)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # see above
        return image


@functools.cache
def _srgb_profile():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _colour_space(mode):
    """The ICC colour space an image mode's pixels are in: "RGB", "CMYK" or "L" (grey)."""
    if mode == "CMYK":
        return "CMYK"
    return "RGB" if mode in ("P", "PA") else Image.getmodebase(mode)


def _in_srgb(image):
    """The pixels in RGB as they are meant to look in sRGB, which a JPEG without a profile is taken
    to be: an image with another embedded profile (phones shoot Display P3) is converted first, so
    dropping the profile does not shift its colours. A profile that cannot be used is ignored."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = _PROFILE_MODES.get(source.profile.xcolor_space.strip())
            is_srgb = "srgb" in ImageCms.getProfileDescription(source).lower()
            if not is_srgb and mode is not None and mode == _colour_space(image.mode):
                return ImageCms.profileToProfile(image.convert(mode), source, _srgb_profile(), outputMode="RGB")
        except Exception:  # a broken or unusable profile, a failed conversion: the pixels as they are
            pass
    return image.convert("RGB")


def _jpeg(image, edge):
    copy = image.copy()
    copy.thumbnail((edge, edge))
    # A new image that has the pixels and nothing else: Pillow writes some of a source's metadata
    # back when saving (its comment), so none of it may come along.
    bare = Image.new("RGB", copy.size)
    bare.paste(copy)
    buffer = io.BytesIO()
    bare.save(buffer, format="JPEG", quality=85, optimize=True)
    return buffer.getvalue(), bare.size


def process(data: bytes) -> ProcessedPhoto:
    if len(data) > settings.PHOTO_MAX_BYTES:
        raise PhotoError(
            _("照片太大（%(size).1f MB），上限 %(max).0f MB。") % {"size": len(data) / 1e6, "max": settings.PHOTO_MAX_BYTES / 1e6}
        )
    Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_PIXELS
    # A cut-off file is not a photo. WeasyPrint turns Pillow's process-wide switch on when it is
    # imported (the signboard PDF), so it is set back here, before every read, not once.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise PhotoError(_("只接受 JPEG、PNG 或 WebP 照片（收到的是 %(format)s）。") % {"format": image.format})
            image.load()  # of an MPO, its first picture
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(_("照片像素太多，上限 %(max)s 万像素。") % {"max": settings.PHOTO_MAX_PIXELS // 10_000}) from None
    except PhotoError:
        raise
    except Exception:  # noqa: BLE001  Pillow fails on a hostile file in many ways (OSError, ValueError
        # for an oversized text chunk, SyntaxError, EOFError, struct.error …): each is "not a picture".
        raise PhotoError(_("文件不是可识别的图片。")) from None

    exif = _read_exif(image)
    lonlat, taken_at = _exif_position(exif), _exif_time(exif)
    try:
        pixels = _in_srgb(_upright(image))
        stored, (width, height) = _jpeg(pixels, settings.PHOTO_STORED_EDGE_PX)
        thumbnail, _size = _jpeg(pixels, settings.PHOTO_THUMBNAIL_EDGE_PX)
    except Exception:  # noqa: BLE001  pixels Pillow read but cannot convert (an odd mode or a truncated scan)
        raise PhotoError(_("照片无法转换为 JPEG（像素格式不受支持或文件不完整）。")) from None
    return ProcessedPhoto(
        image=stored,
        width=width,
        height=height,
        thumbnail=thumbnail,
        sha256=hashlib.sha256(data).hexdigest(),
        lonlat=lonlat,
        taken_at=taken_at,
    )


@contextmanager
def files_removed_unless_stored():
    """Yields a list to which the caller adds the names of the files it writes. If anything fails
    before the surrounding block ends (wrap the transaction that records the rows), the files are
    deleted again: a row that was never stored must not leave a file behind."""
    written = []
    try:
        yield written
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise


def save_files(photo, processed: ProcessedPhoto, written: list) -> None:
    """Puts the clean copy and its thumbnail on a photo row's `image` and `thumbnail` (named by the
    content's hash), noting each file written in `written`. The row itself is not saved."""
    stem = processed.sha256[:16]
    photo.image.save(f"{stem}.jpg", ContentFile(processed.image), save=False)
    written.append(photo.image.name)
    photo.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(processed.thumbnail), save=False)
    written.append(photo.thumbnail.name)
