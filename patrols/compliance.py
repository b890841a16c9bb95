"""Whether a river chief's patrol meets the patrol rule of their level (巡河规则), and the rule
periods it is measured in. Pure functions on plain values: the activity page, the API and the
compliance report (reports.selectors.compliance) all judge a patrol here, and every reason is worded
here, once.

- Rule periods are ISO weeks (Monday to Sunday), calendar months and calendar quarters, in district
  (Beijing) dates.
- A period is finished once its last day is over. On the last day of a week the chief still has
  until midnight: that week is in progress, never "missed", until the next day begins.
- A period is in season when at least one of its days falls in the rule's season months (a season
  may wrap the year end, e.g. November to February).
- A patrol counts for a chief's post when it was not rejected, falls in an in-season period, and
  lasted at least the rule's minutes and covered at least its distance."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from people.models import Level

from .models import PatrolRule

FINISHED, IN_PROGRESS = "finished", "in_progress"


# --- Rule periods -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RulePeriod:
    kind: str  # PatrolRule.Period: week | month | quarter
    first_day: date
    last_day: date

    @property
    def label(self) -> str:
        if self.kind == PatrolRule.Period.WEEK:
            year, week, _weekday = self.first_day.isocalendar()
            return _("%(year)s 年第 %(week)s 周（%(first)s 至 %(last)s）") % {
                "year": year, "week": week, "first": self.first_day.strftime("%m-%d"),
                "last": self.last_day.strftime("%m-%d"),
            }
        if self.kind == PatrolRule.Period.MONTH:
            return _("%(year)s 年 %(month)s 月") % {"year": self.first_day.year, "month": self.first_day.month}
        return _("%(year)s 年第 %(quarter)s 季度") % {
            "year": self.first_day.year, "quarter": (self.first_day.month - 1) // 3 + 1,
        }

    def months(self):
        """(year, month) of every month the period has a day in."""
        year, month = self.first_day.year, self.first_day.month
        while (year, month) <= (self.last_day.year, self.last_day.month):
            yield year, month
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def is_finished(self, today: date) -> bool:
        """Over once its last day is: on that day the chief still has until midnight."""
        return self.last_day < today


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def period_containing(kind: str, day: date) -> RulePeriod:
    if kind == PatrolRule.Period.WEEK:
        monday = day - timedelta(days=day.weekday())
        return RulePeriod(kind, monday, monday + timedelta(days=6))
    if kind == PatrolRule.Period.MONTH:
        return RulePeriod(kind, day.replace(day=1), _month_end(day.year, day.month))
    first_month = (day.month - 1) // 3 * 3 + 1
    return RulePeriod(kind, date(day.year, first_month, 1), _month_end(day.year, first_month + 2))


def periods_for_window(kind: str, start: date, as_of: date, *, today: date) -> list[tuple[RulePeriod, str]]:
    """(period, FINISHED or IN_PROGRESS) for the periods that end in [start, as_of], then the one
    containing as_of if it is not over yet. as_of is the report's end, at most today: a period ending
    on a past as_of is finished, one ending today is still in progress."""
    periods = []
    period = period_containing(kind, start)
    while period.first_day <= as_of:
        if period.last_day > as_of:
            periods.append((period, IN_PROGRESS))
        elif period.last_day >= start:
            periods.append((period, FINISHED if period.is_finished(today) else IN_PROGRESS))
        period = period_containing(kind, period.last_day + timedelta(days=1))
    return periods


def in_season_month(rule, month: int) -> bool:
    first, last = rule.season_start_month, rule.season_end_month
    if first <= last:
        return first <= month <= last
    return month >= first or month <= last  # wraps the year end, e.g. November to February


def period_in_season(rule, period: RulePeriod) -> bool:
    return any(in_season_month(rule, month) for _year, month in period.months())


def season_label(rule) -> str:
    first, last = rule.season_start_month, rule.season_end_month
    if (first, last) == (1, 12) or last == first - 1:
        return _("全年")
    if first <= last:
        return _("%(first)s–%(last)s 月") % {"first": first, "last": last}
    return _("%(first)s 月至次年 %(last)s 月") % {"first": first, "last": last}


def _km(metres: float) -> str:
    """2000 → "2", 2250 → "2.25": the rule as the office wrote it."""
    return f"{metres / 1000:.3f}".rstrip("0").rstrip(".")


def level_label(level: str) -> str:
    return str(dict(Level.choices).get(level, level))


def describe_rule(rule) -> dict:
    parts = [
        _("%(period)s至少 %(count)s 次") % {"period": rule.get_period_display(), "count": rule.required_count},
        _("每次不少于 %(minutes)s 分钟") % {"minutes": rule.min_duration_min},
    ]
    if rule.min_distance_m:
        parts.append(_("不少于 %(km)s 公里") % {"km": _km(rule.min_distance_m)})
    parts.append(_("考核月份：%(season)s") % {"season": season_label(rule)})
    return {
        "id": rule.pk, "level": rule.level, "level_label": level_label(rule.level), "period": rule.period,
        "period_label": rule.get_period_display(), "required_count": rule.required_count,
        "min_duration_min": rule.min_duration_min, "min_distance_m": rule.min_distance_m,
        "season_start_month": rule.season_start_month, "season_end_month": rule.season_end_month,
        "season_label": season_label(rule), "source": rule.source, "summary": _("，").join(parts),
    }


# --- Judging one patrol ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PatrolFigures:
    """What the rule looks at in a patrol."""

    day: date  # the district date it started on
    duration_s: int
    distance_m: float
    rejected: bool = False


@dataclass(frozen=True)
class Verdict:
    """counts: True or False, or None when no rule is set for the level. reasons: (code, params)
    pairs, worded by word_reason() in the reader's language."""

    counts: bool | None
    reasons: tuple = ()


def post_term(since: date, until: date | None) -> dict:
    """A chief post's term as the reasons show it."""
    if until:
        return {"term": _("%(since)s 至 %(until)s") % {"since": since.isoformat(), "until": until.isoformat()}}
    return {"term": _("%(since)s 起") % {"since": since.isoformat()}}


def covers(since: date, until: date | None, period: RulePeriod) -> bool:
    """Whether a post's term covers the whole period: only then is the period measured for it."""
    return since <= period.first_day and (until is None or until >= period.last_day)


def judge_patrol(figures: PatrolFigures, level: str, rule, *, since: date | None = None,
                 until: date | None = None) -> Verdict:
    """A patrol against the rule of a chief's level (rule None: the office set none). With the
    post's term (since, until), a period the term does not cover whole is not measured for it."""
    if rule is None:
        return Verdict(None, (("no_rule", {"level": level_label(level)}),))
    reasons = []
    if figures.rejected:
        reasons.append(("rejected", {}))
    period = period_containing(rule.period, figures.day)
    if not period_in_season(rule, period):
        reasons.append(("out_of_season", {"season": season_label(rule)}))
    elif since is not None and not covers(since, until, period):
        reasons.append(("post_partial", post_term(since, until)))
    if figures.duration_s < rule.min_duration_min * 60:
        # Rounded down, so "本次" never reads as much as the minimum it fell short of.
        reasons.append(("short_minutes", {"need": rule.min_duration_min, "done": figures.duration_s // 60}))
    if figures.distance_m < rule.min_distance_m:
        reasons.append(("short_distance", {"need": _km(rule.min_distance_m),
                                           "done": f"{math.floor(figures.distance_m / 10) / 100:.2f}"}))
    return Verdict(not reasons, tuple(reasons))


def word_reason(code: str, params: dict) -> str:
    """The one wording of every reason a patrol does or does not count."""
    if code == "rejected":
        if "note" not in params:  # the viewer may not read the patrol, so not the reviewer's note either
            return _("审核已驳回")
        return _("审核已驳回（%(note)s）") % {"note": params["note"] or _("未写明原因")}
    if code == "short_minutes":
        return _("时长不足 %(need)s 分钟（本次 %(done)s 分钟）") % params
    if code == "short_distance":
        return _("里程不足 %(need)s 公里（本次 %(done)s 公里）") % params
    if code == "out_of_season":
        return _("不在考核季节（%(season)s）") % params
    if code == "no_rule":
        return _("尚未设置%(level)s河长的巡河规则（管理后台 › 巡河规则）") % params
    if code == "not_own_waterway":
        return _("不是本人任河长的河道")
    if code == "no_waterway":
        return _("未能确定所在河道（位置不在水系附近）")
    if code == "not_chief_then":
        return _("巡河时不在这条河道的河长任期内（任期 %(term)s）") % params
    if code == "post_partial":
        return _("任期未覆盖整个周期（任期 %(term)s），该周期不考核") % params
    if code == "outside_periods":
        return _("所在周期不在本次统计范围内")
    if code == "no_chief":
        return _("无河长参与，不计入河长巡河考核。")
    if code == "no_chief_of_waterway":
        return _("参与的河长都不是这条河道的河长，不计入河长巡河考核。")
    return code


def word_chief_verdict(name: str, level: str, verdict: Verdict) -> str:
    """One chief's verdict on a patrol, as the activity page shows it."""
    who = _("%(name)s（%(level)s河长）") % {"name": name, "level": level_label(level)}
    if verdict.counts is None:
        return _("%(who)s：%(reason)s") % {"who": who, "reason": word_reason(*verdict.reasons[0])}
    if verdict.counts:
        return _("%(who)s：符合巡河要求，计入考核") % {"who": who}
    reasons = _("，").join(word_reason(code, params) for code, params in verdict.reasons)
    return _("%(who)s：不计入考核，%(reasons)s") % {"who": who, "reasons": reasons}


@dataclass(frozen=True)
class ChiefPost:
    """A river-chief post held on the day of a patrol by someone who took part in it."""

    person_id: int
    name: str
    level: str
    waterway_id: int
    since: date
    until: date | None = None


@dataclass(frozen=True)
class ActivityCompliance:
    """What the activity page and the API say about one activity: counts is True when it counts for
    at least one chief taking part, False when it counts for none of them, None when no rule applies
    (not a patrol, no chief, not a chief of this waterway, no rule set for their level)."""

    counts: bool | None
    chiefs: tuple = ()  # (ChiefPost, Verdict) for each chief of this waterway taking part
    reason: str = ""  # why no chief is measured: no_chief | no_chief_of_waterway

    @property
    def note(self) -> str:
        if self.reason:
            return word_reason(self.reason, {})
        return _("；").join(word_chief_verdict(post.name, post.level, verdict) for post, verdict in self.chiefs)

    def as_data(self) -> dict:
        return {
            "counts": self.counts,
            "reason": self.reason,
            "chiefs": [{"person": post.person_id, "name": post.name, "level": post.level, "counts": verdict.counts,
                        "reasons": [code for code, _params in verdict.reasons]} for post, verdict in self.chiefs],
        }


NOT_MEASURED = ActivityCompliance(counts=None)


def judge_activity(figures: PatrolFigures, waterway_id, posts, rules) -> ActivityCompliance:
    """A patrol against the rule of each chief taking part who held a post on its waterway that day.
    posts: the ChiefPosts the participants held that day (on any waterway); rules: {level: rule}."""
    own = sorted({post for post in posts if waterway_id is not None and post.waterway_id == waterway_id},
                 key=lambda post: (post.person_id, post.level))
    if not own:
        return ActivityCompliance(counts=None, reason="no_chief_of_waterway" if posts else "no_chief")
    chiefs = tuple((post, judge_patrol(figures, post.level, rules.get(post.level), since=post.since, until=post.until))
                   for post in own)
    judged = [verdict.counts for _post, verdict in chiefs if verdict.counts is not None]
    return ActivityCompliance(counts=any(judged) if judged else None, chiefs=chiefs)
