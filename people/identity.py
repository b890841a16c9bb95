"""Identity documents, kept to their last four characters (privacy by design: the full number is
checked when typed, then dropped), and how a name and an ID are shown masked.

A volunteer service certificate names the volunteer's ID type and number (《志愿服务记录与证明出具办法
（试行）》); the last four characters, shown as ****1234, are enough for whoever reads it to match the
card in the holder's hand, and a leak of our database gives away no one's number."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TAIL_LENGTH = 4
# What id_tail may hold (the database checks it too: people/models.py).
TAIL_PATTERN = r"^[0-9A-Z]{4}$"


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", gettext_lazy("居民身份证")
    HK_MACAO_PERMIT = "hk_macao_permit", gettext_lazy("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan_permit", gettext_lazy("台湾居民来往大陆通行证")
    PASSPORT = "passport", gettext_lazy("护照")
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident", gettext_lazy("外国人永久居留身份证")


# GB 11643-1999 公民身份号码: 17 digits (address, birth date, sequence) and a check character, the
# weighted sum of the 17 digits modulo 11 (ISO 7064 MOD 11-2) looked up in CHECK_CHARACTERS.
GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB11643_CHECK_CHARACTERS = "10X98765432"
_GB11643_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

# The other documents: their published shapes, checked loosely (the issuers publish no checksum).
_SHAPES = {
    IdType.HK_MACAO_PERMIT: (re.compile(r"[HM][0-9]{8}([0-9]{2})?"),
                             gettext_lazy("港澳居民来往内地通行证号码为 H 或 M 加 8 位（旧版 10 位）数字。")),
    IdType.TAIWAN_PERMIT: (re.compile(r"[0-9]{8}([0-9]{2})?"),
                           gettext_lazy("台湾居民来往大陆通行证号码为 8 位（旧版 10 位）数字。")),
    IdType.PASSPORT: (re.compile(r"[A-Z0-9]{5,17}"), gettext_lazy("护照号码为 5 到 17 位字母或数字。")),
    # Before 2023: three letters and twelve digits; since: 18 characters starting with 9, checked as GB 11643.
    IdType.FOREIGN_PERMANENT_RESIDENT: (re.compile(r"[A-Z]{3}[0-9]{12}"),
                                        gettext_lazy("外国人永久居留身份证号码为 3 位字母加 12 位数字，或以 9 开头的 18 位号码。")),
}


def normalise_id_number(text: str) -> str:
    """What people type, as the document prints it: full-width characters and lower-case x made plain,
    spaces and dashes dropped."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text or "")).upper()


def gb11643_check_character(first_17_digits: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_17_digits, GB11643_WEIGHTS, strict=True))
    return GB11643_CHECK_CHARACTERS[total % 11]


def _gb11643_problem(number: str) -> str | None:
    """Why an 18-character number is not a valid 公民身份号码 (None when it is)."""
    if not _GB11643_SHAPE.fullmatch(number):
        return _("居民身份证号码应为 18 位：17 位数字加 1 位数字或 X。")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        # Not echoed: the number is shown nowhere beyond its last four characters, its birth date included.
        return _("居民身份证号码第 7–14 位应是出生日期，这几位不是有效日期。")
    if number[17] != gb11643_check_character(number[:17]):
        return _("居民身份证号码校验位不符（GB 11643），请核对是否输错。")
    return None


def id_tail_of(id_type: str, number: str) -> str:
    """The last four characters of a checked ID number, or ValidationError with a Chinese sentence.
    The number itself is never returned, stored or logged."""
    number = normalise_id_number(number)
    if id_type not in IdType.values:
        raise ValidationError(_("请先选择证件类型。"))
    if not number:
        raise ValidationError(_("请输入证件号码。"))
    if id_type == IdType.RESIDENT_ID:
        problem = _gb11643_problem(number)
    elif id_type == IdType.FOREIGN_PERMANENT_RESIDENT and len(number) == 18 and number.startswith("9"):
        problem = _gb11643_problem(number) and _("外国人永久居留身份证号码校验位不符，请核对是否输错。")
    else:
        shape, message = _SHAPES[id_type]
        problem = None if shape.fullmatch(number) else str(message)
    if problem:
        raise ValidationError(problem)
    return number[-TAIL_LENGTH:]


# Masks: resident IDs have 18 characters, so 14 stars; other documents vary, and a fixed mask keeps
# their length private too.
def id_type_label(id_type) -> str:
    """The ID type's name as printed, or "" when none is registered."""
    return str(IdType(id_type).label) if id_type else ""


def masked_id(id_type: str, id_tail: str) -> str:
    if not id_tail:
        return ""
    stars = 18 - TAIL_LENGTH if id_type == IdType.RESIDENT_ID else 6
    return "*" * stars + id_tail


def masked_name(name: str) -> str:
    """张三 → 张*, 张志愿 → 张*愿, 欧阳明轩 → 欧**轩: enough to match a person who shows their
    certificate, too little to find them by."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
