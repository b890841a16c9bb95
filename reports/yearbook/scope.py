"""What a report covers: a year (年度报告), a quarter (季度通报) or one waterway's year (一河一档).

A scope names its period (Beijing dates, both ends included) and the day its figures stand on: the
period's last day once it is over, else today, so a report built mid-year says "as of" when."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from riverwatch.dates import FIRST_DAY, LAST_DAY

ANNUAL, QUARTERLY, WATERWAY = "annual", "quarterly", "waterway"
KINDS = (ANNUAL, QUARTERLY, WATERWAY)
QUARTER_LABELS = ("", gettext_lazy("%(year)s 年第一季度"), gettext_lazy("%(year)s 年第二季度"),
                  gettext_lazy("%(year)s 年第三季度"), gettext_lazy("%(year)s 年第四季度"))
# Reports are about years the app holds records for; one year before the first lets "last year" exist,
# so a scope may be that year but nobody asks for it (Scope.asked).
FIRST_YEAR, LAST_YEAR = FIRST_DAY.year + 1, LAST_DAY.year
# A waterway code is whatever the office gave it (Waterway.code, 32 characters), short of what a path
# or a URL cannot carry.
_KEY = re.compile(r"^([0-9]{4})(?:-q([1-4])|-([^/\s]{1,32}))?$")


@dataclass(frozen=True)
class Scope:
    year: int
    quarter: int | None = None
    waterway_code: str = ""
    # The previous period's counterpart of an unfinished one ends on the same day of its year
    # (上年同期): a year so far is compared with the same months of last year, not with all of it.
    until: date | None = None

    def __post_init__(self):
        if not FIRST_DAY.year <= self.year <= LAST_YEAR:
            raise ValueError(_("年份须在 %(first)s 至 %(last)s 之间。") % {"first": FIRST_YEAR, "last": LAST_YEAR})
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise ValueError(_("季度须为 1 至 4。"))
        if self.quarter is not None and self.waterway_code:
            raise ValueError(_("一河一档按年度生成，不分季度。"))

    @property
    def kind(self) -> str:
        if self.waterway_code:
            return WATERWAY
        return QUARTERLY if self.quarter else ANNUAL

    @property
    def key(self) -> str:
        """Unique per scope: 2026, 2026-q3, 2026-ZW-G07."""
        if self.quarter:
            return f"{self.year}-q{self.quarter}"
        return f"{self.year}-{self.waterway_code}" if self.waterway_code else str(self.year)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1) if self.quarter else date(self.year, 1, 1)

    @property
    def end(self) -> date:
        if self.quarter:
            last = (date(self.year + 1, 1, 1) if self.quarter == 4 else date(self.year, 3 * self.quarter + 1, 1)) \
                - timedelta(days=1)
        else:
            last = date(self.year, 12, 31)
        return min(last, self.until) if self.until else last

    def as_of(self, today: date | None = None) -> date:
        """The day the figures stand on: the period's end once over, else today."""
        return min(self.end, today or timezone.localdate())

    def started(self, today: date | None = None) -> bool:
        return self.start <= (today or timezone.localdate())

    def previous(self, today: date | None = None) -> Scope:
        """The same period one step earlier (last year, or the quarter before); while this one is not
        over, only as far into it as this one has gone (同期)."""
        if self.quarter:
            earlier = Scope(self.year - (self.quarter == 1), 4 if self.quarter == 1 else self.quarter - 1)
        else:
            earlier = Scope(self.year - 1, None, self.waterway_code)
        as_of = self.as_of(today)
        if as_of >= self.end:
            return earlier
        return replace(earlier, until=min(earlier.end, earlier.start + (as_of - self.start)))

    def previous_label(self, today: date | None = None) -> str:
        """How the report names the period it compares with."""
        partial = self.as_of(today) < self.end
        if self.quarter:
            return _("上季度同期") if partial else _("上季度")
        return _("上年同期") if partial else _("上年")

    def period_label(self) -> str:
        if self.quarter:
            return str(QUARTER_LABELS[self.quarter]) % {"year": self.year}
        return _("%(year)s 年") % {"year": self.year}

    @classmethod
    def asked(cls, year: int, quarter: int | None = None, waterway_code: str = "") -> Scope:
        """A scope someone asks for (a page, the command): a year from FIRST_YEAR, so that its previous
        year exists. ValueError, in the user's language, otherwise."""
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(_("年份须在 %(first)s 至 %(last)s 之间。") % {"first": FIRST_YEAR, "last": LAST_YEAR})
        return cls(year, quarter, waterway_code)

    @classmethod
    def from_key(cls, key: str) -> Scope:
        """The scope a key names (ValueError, in the user's language, if none)."""
        match = _KEY.fullmatch(key or "")
        if not match:
            raise ValueError(_("报告范围应写作 2026、2026-q3 或 2026-ZW-G07。"))
        year, quarter, code = match.groups()
        return cls.asked(int(year), int(quarter) if quarter else None, code or "")
