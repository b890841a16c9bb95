"""Every write to activities. A submission is stored once, whatever the network does: the
client's uuid is locked for the transaction, and a repeat with the same body returns the
stored record."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people import selectors as people_selectors
from people.models import Person

from . import photos as photo_processing
from . import selectors, signals
from .models import KINDS_WITHOUT_SERVICE, Activity, PatrolRule, Photo, ProblemReport, RawTrack, ServiceRecord
from .tracks import CleanTrack, lonlat_to_storage


class DuplicateConflict(Exception):
    """The uuid is already used by a different submission."""


class AlreadyReviewed(ValidationError):
    """The activity was verified or rejected before."""


class UnknownProblem(ValidationError):
    """A photo names a problem that is not one of its activity's."""


# A service record is an hour or a day at the river, not a shift log: longer is a wrong date.
MAX_ACTIVITY_HOURS = 24


@dataclass
class Figures:
    debris_kg: Decimal | None = None
    bags: int | None = None
    manholes_checked: int | None = None
    outfalls_checked: int | None = None
    findings: str = ""


@dataclass
class ProblemInput:
    """A problem seen during the activity (or the whole of a standalone report)."""

    client_uuid: object
    category: str
    observed_at: object
    note: str = ""
    point_lonlat: tuple | None = None


@dataclass
class Submission:
    """What a phone, a GPX upload or the demo seeder sends, already parsed and checked for shape."""

    client_uuid: object
    kind: str
    started_at: object
    ended_at: object
    track: CleanTrack | None = None
    raw_fixes: list | None = None
    raw_source: str = ""
    point_lonlat: tuple | None = None
    location_source: str = ""
    participant_ids: list = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)
    notes: str = ""
    problems: list[ProblemInput] = field(default_factory=list)


def payload_digest(payload) -> str:
    """The same body, whatever the key order or spacing, gives the same digest."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _uuid_lock_key(client_uuid):
    # pg_advisory_xact_lock takes a signed bigint; any stable 63-bit slice of the uuid will do.
    return client_uuid.int % (2**63)


# One statement records every reach the patrol covered. A reach counts when at least half of it
# lies within the buffer of the track AND the track runs along at least half of it. The second
# test is what keeps a bridge crossing out: crossing a river covers 2 x PATROL_BUFFER_M of it
# (100 m: a whole 100 m reach) while travelling along none of it. "Along" is the span between
# the first and last position on the reach (ST_LineLocatePoint) of track points within the
# buffer, the track densified to ALONG_SAMPLE_M so sparse vertices still count.
# Used for one activity on save, and for many after the network is re-cut.
REACH_VISITS_SQL = """
WITH a AS MATERIALIZED (
    SELECT id, started_at, track, ST_Buffer(track, %(buffer)s) AS zone
      FROM patrols_activity
     WHERE id = ANY(%(activities)s) AND track IS NOT NULL
), samples AS MATERIALIZED (
    SELECT a.id AS activity_id, d.geom
      FROM a CROSS JOIN LATERAL ST_DumpPoints(ST_Segmentize(a.track, %(sample)s)) AS d
), along AS (
    SELECT r.id AS reach_id, s.activity_id,
           MAX(ST_LineLocatePoint(r.geom, s.geom)) - MIN(ST_LineLocatePoint(r.geom, s.geom)) AS fraction
      FROM samples s JOIN waterways_reach r ON ST_DWithin(r.geom, s.geom, %(buffer)s)
     WHERE %(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[])
     GROUP BY r.id, s.activity_id
), covered AS (
    SELECT along.reach_id, a.id AS activity_id, a.started_at,
           LEAST(1.0, ST_Length(ST_Intersection(r.geom, a.zone)) / ST_Length(r.geom), along.fraction) AS fraction
      FROM along
      JOIN a ON a.id = along.activity_id
      JOIN waterways_reach r ON r.id = along.reach_id
     WHERE along.fraction >= %(min_fraction)s  -- the costly intersection only where it can matter
)
INSERT INTO patrols_reachvisit (reach_id, activity_id, visited_at, covered_fraction)
SELECT reach_id, activity_id, started_at, fraction
  FROM covered
 WHERE fraction >= %(min_fraction)s
ON CONFLICT (reach_id, activity_id) DO NOTHING
"""
ALONG_SAMPLE_M = 5.0
MIN_VISITED_FRACTION = 0.5

# The waterway an activity belongs to: among those within SNAP_DISTANCE_M, the one whose
# reaches the patrol covered most, then the nearest. Position: where the track starts, or the point.
SNAP_SQL = """
WITH a AS (
    SELECT COALESCE(track::geometry, point::geometry) AS shape,
           COALESCE(ST_StartPoint(ST_GeometryN(track, 1)), point) AS locator
      FROM patrols_activity WHERE id = %(activity)s
), covered AS (
    SELECT r.waterway_id, SUM(r.end_m - r.start_m) AS metres
      FROM patrols_reachvisit v JOIN waterways_reach r ON r.id = v.reach_id
     WHERE v.activity_id = %(activity)s
     GROUP BY r.waterway_id
)
SELECT w.id, ST_LineLocatePoint(w.geom, a.locator) * ST_Length(w.geom)
  FROM a JOIN waterways_waterway w ON ST_DWithin(w.geom, a.shape, %(snap)s)
  LEFT JOIN covered ON covered.waterway_id = w.id
 ORDER BY COALESCE(covered.metres, 0) DESC, ST_Distance(w.geom, a.shape), w.id
 LIMIT 1
"""


# Each problem of an activity goes to the nearest waterway within SNAP_DISTANCE_M, with its
# position along it; a problem with no point, or far from every waterway, to none.
PROBLEM_SNAP_SQL = """
UPDATE patrols_problemreport AS p
   SET waterway_id = nearest.id, position_m = nearest.position_m
  FROM patrols_problemreport AS q
  LEFT JOIN LATERAL (
      SELECT w.id, ST_LineLocatePoint(w.geom, q.point) * ST_Length(w.geom) AS position_m
        FROM waterways_waterway w
       WHERE ST_DWithin(w.geom, q.point, %(snap)s)
       ORDER BY ST_Distance(w.geom, q.point), w.id
       LIMIT 1
  ) AS nearest ON TRUE
 WHERE p.id = q.id AND q.activity_id = %(activity)s
"""


def record_reach_visits(*, activity_ids, waterway_ids=None):
    with connection.cursor() as cursor:
        cursor.execute(
            REACH_VISITS_SQL,
            {
                "buffer": settings.PATROL_BUFFER_M,
                "activities": list(activity_ids),
                "waterways": list(waterway_ids) if waterway_ids is not None else None,
                "min_fraction": MIN_VISITED_FRACTION,
                "sample": ALONG_SAMPLE_M,
            },
        )
        return cursor.rowcount


def _snap(activity):
    with connection.cursor() as cursor:
        cursor.execute(SNAP_SQL, {"activity": activity.pk, "snap": settings.SNAP_DISTANCE_M})
        row = cursor.fetchone()
    has_location = activity.track is not None or activity.point is not None
    activity.waterway_id, activity.waterway_position_m = (row if row else (None, None))
    activity.off_network = has_location and row is None


def _snap_problems(activity):
    with connection.cursor() as cursor:
        cursor.execute(PROBLEM_SNAP_SQL, {"activity": activity.pk, "snap": settings.SNAP_DISTANCE_M})


def _track_geometry(track: CleanTrack | None):
    if track is None or not track.segments:
        return None
    multiline = MultiLineString([LineString(segment) for segment in track.segments], srid=settings.GIS_SRID)
    if not multiline.valid:
        raise ValidationError(_("轨迹几何无效：%(reason)s") % {"reason": multiline.valid_reason})
    return multiline


def _point_geometry(lonlat):
    if lonlat is None:
        return None
    x, y = lonlat_to_storage().transform(*lonlat)
    return Point(x, y, srid=settings.GIS_SRID)


def _submitter(submitted_by):
    """(the login's Person or None, whether it is office staff); only staff may submit without a Person."""
    own = people_selectors.person_of(submitted_by)
    staff = people_selectors.is_office_staff(submitted_by)
    if own is None and not staff:
        raise PermissionDenied(_("您的账号还没有关联人员档案，请联系河长办工作人员。"))
    return own, staff


def _participants(*, submitted_by, participant_ids):
    """The submitter's own Person is always a participant; others must be teammates (staff may add anyone)."""
    own, staff = _submitter(submitted_by)
    wanted = list(dict.fromkeys(int(pk) for pk in participant_ids))
    if own is not None and own.id not in wanted:
        wanted.insert(0, own.id)
    if not wanted:
        raise ValidationError(_("请至少选择一名参与人员。"))
    people = {person.id: person for person in Person.objects.filter(id__in=wanted)}
    unknown = [pk for pk in wanted if pk not in people or not people[pk].is_active]
    if unknown:
        raise ValidationError(_("参与人员编号不存在或已不在册：%(ids)s") % {"ids": ", ".join(map(str, unknown))})
    if not staff:
        allowed = people_selectors.teammate_ids(own)
        outsiders = [people[pk].name for pk in wanted if pk not in allowed]
        if outsiders:
            raise ValidationError(_("只能登记本队同伴：%(names)s 不在您的队伍里。") % {"names": _("、").join(outsiders)})
    return [people[pk] for pk in wanted]


def _check_reporter(*, submitted_by, participant_ids):
    """For a kind without service records: the same login rule as _participants, and no companions,
    since they would be listed nowhere."""
    own, _staff = _submitter(submitted_by)
    if {int(pk) for pk in participant_ids} - {own.id if own else None}:
        raise ValidationError(_("问题上报不登记参与人员，请不要附带同伴。"))


# Namespace of the per-person advisory locks (the first argument of the two-key form).
PERSON_LOCK_NAMESPACE = 4546_200


def _already_serving(participants, started_at, ended_at):
    """{person_id: activity_id} for participants who already have a service record in an activity
    (not rejected) overlapping this time: two teammates each submitting the same walk must not
    count each person twice. The people are locked first so two such submissions cannot race."""
    person_ids = sorted(person.id for person in participants)
    with connection.cursor() as cursor:
        for person_id in person_ids:  # in id order, so two submissions never wait on each other
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PERSON_LOCK_NAMESPACE, person_id])
    overlapping = (
        ServiceRecord.objects.filter(person_id__in=person_ids, activity__started_at__lt=ended_at,
                                     activity__ended_at__gt=started_at)
        .exclude(activity__status=Activity.Status.REJECTED)
        .order_by("activity__started_at")
        .values_list("person_id", "activity_id")
    )
    busy = {}
    for person_id, activity_id in overlapping:
        busy.setdefault(person_id, activity_id)
    return busy


def _service_hours(started_at, ended_at):
    return Decimal((ended_at - started_at).total_seconds() / 3600).quantize(Decimal("0.1"))


def evaluate_compliance(activity, participants):
    """A patrol is measured, for each river chief taking part on a waterway they are chief of,
    against the rule of that chief's level. One under the minimum is kept, marked as not counting
    for that chief, with the shortfalls. Returns (counts, detail): counts is True when it counts for
    at least one chief, None when no chief's rule applies. The detail is data, so the reason
    reads in each viewer's language."""
    if activity.kind != Activity.Kind.PATROL:
        return None, {}
    day = timezone.localtime(activity.started_at).date()
    person_ids = [person.id for person in participants]
    posts = people_selectors.chief_posts_on(person_ids, day, activity.waterway_id) if activity.waterway_id else {}
    if not posts:
        outcome = "not_own_waterway" if people_selectors.holds_any_post_on(person_ids, day) else "no_chief"
        return None, {"outcome": outcome}
    rules = {rule.level: rule for rule in PatrolRule.objects.filter(level__in=set().union(*posts.values()))}
    names = {person.id: person.name for person in participants}
    minutes = activity.duration_s / 60
    chiefs = []
    for person_id in sorted(posts):
        for level in sorted(posts[person_id]):
            rule = rules.get(level)
            if rule is None:
                chiefs.append({"person": person_id, "name": names[person_id], "level": level, "meets": None, "shortfalls": []})
                continue
            shortfalls = []
            if minutes < rule.min_duration_min:
                shortfalls.append({"measure": "minutes", "need": rule.min_duration_min, "done": round(minutes, 1)})
            if activity.distance_m < rule.min_distance_m:
                shortfalls.append({"measure": "metres", "need": rule.min_distance_m, "done": round(activity.distance_m)})
            chiefs.append({"person": person_id, "name": names[person_id], "level": level, "meets": not shortfalls,
                           "shortfalls": shortfalls})
    judged = [chief["meets"] for chief in chiefs if chief["meets"] is not None]
    if not judged:
        return None, {"outcome": "no_rule", "chiefs": chiefs}
    outcome = "met" if all(judged) else "short" if not any(judged) else "mixed"
    return any(judged), {"outcome": outcome, "chiefs": chiefs}


# A phone's clock and the moment a problem is noted may stray a little outside the activity's
# own times (the same hour of grace as GPS fixes); further out it belongs to another outing.
PROBLEM_TIME_MARGIN = timedelta(hours=1)

# Namespace of the per-problem advisory locks (the first argument of the two-key form).
PROBLEM_LOCK_NAMESPACE = 4546_300


def _local_minute(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _check_problems(submission):
    """Raises ValidationError naming the problem (by its number in the body) that is wrong."""
    problems = submission.problems
    if submission.kind == Activity.Kind.PROBLEM_REPORT and not problems:
        raise ValidationError(_("问题上报至少要有一个问题（problems）。"))
    seen = {}
    low, high = submission.started_at - PROBLEM_TIME_MARGIN, submission.ended_at + PROBLEM_TIME_MARGIN
    for number, problem in enumerate(problems, start=1):
        if problem.client_uuid in seen:
            raise ValidationError(
                _("第 %(n)s 个问题的编号（client_uuid）与第 %(first)s 个问题相同，每个问题要有自己的编号。")
                % {"n": number, "first": seen[problem.client_uuid]}
            )
        seen[problem.client_uuid] = number
        if not low <= problem.observed_at <= high:
            raise ValidationError(
                _("第 %(n)s 个问题的发现时间（%(when)s）不在活动的开始、结束时间内（%(start)s 至 %(end)s，前后可差 %(hours)s 小时）。")
                % {"n": number, "when": _local_minute(problem.observed_at), "start": _local_minute(submission.started_at),
                   "end": _local_minute(submission.ended_at), "hours": round(PROBLEM_TIME_MARGIN.total_seconds() / 3600)}
            )


def _claim_problem_uuids(problems):
    """Locks the problems' uuids (in order, so two submissions cannot deadlock) and refuses one
    that another activity already uses: a phone must not move a problem between records."""
    uuids = sorted({problem.client_uuid for problem in problems}, key=lambda value: value.int)
    with connection.cursor() as cursor:
        for value in uuids:
            # The two-key form takes two int4s: any stable 31-bit slice of the uuid will do.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PROBLEM_LOCK_NAMESPACE, value.int % (2**31)])
    taken = list(
        ProblemReport.objects.filter(client_uuid__in=uuids).order_by("client_uuid").values_list("client_uuid", flat=True)
    )
    if taken:
        raise DuplicateConflict(
            _("问题编号（client_uuid）%(uuids)s 已用于另一条活动记录里的问题，请为新问题生成新的编号。")
            % {"uuids": "、".join(str(value) for value in taken)}
        )


def _create_problems(activity, problems):
    rows = [
        ProblemReport(
            activity=activity, client_uuid=problem.client_uuid, category=problem.category, note=problem.note,
            point=_point_geometry(problem.point_lonlat), observed_at=problem.observed_at,
        )
        for problem in problems
    ]
    for row in rows:
        # The activity was saved a moment ago; uuid and point are left out as in CLEAN_EXCLUDE below.
        row.full_clean(exclude=["activity", "client_uuid", "point"])
    ProblemReport.objects.bulk_create(rows)
    if any(row.point is not None for row in rows):
        _snap_problems(activity)


# Left out of full_clean(): client_uuid's uniqueness is settled by the advisory lock. The
# geometries were checked with GEOS when built; Django would send each whole track to the
# database again to evaluate the isvalid constraints (and cannot evaluate them on an empty
# geometry at all). The database still enforces them.
CLEAN_EXCLUDE = ["client_uuid", "track", "point"]


@transaction.atomic
def record_activity(*, submitted_by, submission: Submission, payload_sha256: str):
    """Stores a submission once. Returns (activity, created). The same uuid with the same body
    returns the stored activity; with another body (or from another login) raises DuplicateConflict."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_uuid_lock_key(submission.client_uuid)])
    existing = Activity.objects.filter(client_uuid=submission.client_uuid).first()
    if existing is not None:
        if existing.payload_sha256 == payload_sha256 and existing.submitted_by_id == submitted_by.pk:
            return existing, False
        raise DuplicateConflict(_("这个客户端编号（client_uuid）已用于另一条不同的记录。"))

    if submission.ended_at < submission.started_at:
        raise ValidationError(_("结束时间早于开始时间。"))
    if submission.ended_at - submission.started_at > timedelta(hours=MAX_ACTIVITY_HOURS):
        raise ValidationError(_("一次活动不能超过 %(hours)s 小时，请检查日期或分开登记。") % {"hours": MAX_ACTIVITY_HOURS})
    if submission.started_at > timezone.now() + timedelta(minutes=10):
        raise ValidationError(_("开始时间在将来，请检查手机时间。"))
    _check_problems(submission)
    _claim_problem_uuids(submission.problems)
    if submission.kind in KINDS_WITHOUT_SERVICE:
        _check_reporter(submitted_by=submitted_by, participant_ids=submission.participant_ids)
        participants = []  # so no service record, and nobody measured against the patrol rules
    else:
        participants = _participants(submitted_by=submitted_by, participant_ids=submission.participant_ids)
    point_lonlat = submission.point_lonlat
    if point_lonlat is None and submission.kind == Activity.Kind.PROBLEM_REPORT:
        # A standalone report is where its problem is.
        point_lonlat = next((problem.point_lonlat for problem in submission.problems if problem.point_lonlat), None)
    track, point = _track_geometry(submission.track), _point_geometry(point_lonlat)

    figures = submission.figures
    activity = Activity(
        client_uuid=submission.client_uuid,
        payload_sha256=payload_sha256,
        kind=submission.kind,
        submitted_by=submitted_by,
        started_at=submission.started_at,
        ended_at=submission.ended_at,
        track=track,
        point=point,
        location_source=submission.location_source if (track or point) else "",
        distance_m=submission.track.distance_m if track else 0,
        duration_s=(
            submission.track.duration_s
            if track and submission.track.duration_s
            else int((submission.ended_at - submission.started_at).total_seconds())
        ),
        track_quality=submission.track.quality if track else {},
        debris_kg=figures.debris_kg,
        bags=figures.bags,
        manholes_checked=figures.manholes_checked,
        outfalls_checked=figures.outfalls_checked,
        findings=figures.findings,
        notes=submission.notes,
    )
    activity.full_clean(exclude=CLEAN_EXCLUDE)
    activity.save()
    if submission.raw_fixes is not None:
        RawTrack.objects.create(activity=activity, fixes=submission.raw_fixes, source=submission.raw_source)

    _create_problems(activity, submission.problems)

    hours = _service_hours(activity.started_at, activity.ended_at)
    busy = _already_serving(participants, activity.started_at, activity.ended_at)
    activity.skipped_participants = [
        {"person": person.id, "name": person.name, "activity": busy[person.id]} for person in participants if person.id in busy
    ]
    # Only those counted here get a service record, and only they are measured against the
    # patrol rules: a chief counted for an overlapping copy of this walk is not counted twice.
    counted = [person for person in participants if person.id not in busy]
    ServiceRecord.objects.bulk_create(
        ServiceRecord(activity=activity, person=person, role=person.role, level=person.level, hours=hours)
        for person in counted
    )
    if track is not None:
        record_reach_visits(activity_ids=[activity.pk])
    _snap(activity)
    activity.counts_for_compliance, activity.compliance_detail = evaluate_compliance(activity, counted)
    activity.save(update_fields=[
        "waterway", "waterway_position_m", "off_network", "counts_for_compliance", "compliance_detail", "skipped_participants",
    ])
    return activity, True


@transaction.atomic
def review_activity(*, activity, reviewer, decision, note=""):
    """Verifies or rejects a submitted activity. Reviewers: staff, leaders of a participant's
    team, chiefs of the activity's waterway — never the submitter or a participant."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if not selectors.can_review(reviewer, activity):
        raise PermissionDenied(selectors.why_cannot_review(reviewer, activity))
    if activity.status != Activity.Status.SUBMITTED:
        raise AlreadyReviewed(_("这条记录已经%(status)s，不能重复审核。") % {"status": activity.get_status_display()})
    if decision == "verify":
        activity.status = Activity.Status.VERIFIED
    elif decision == "reject":
        if not note.strip():
            raise ValidationError(_("驳回时请写明原因。"))
        activity.status = Activity.Status.REJECTED
    else:
        raise ValidationError(_("审核结果只能是 verify（通过）或 reject（驳回）。"))
    activity.reviewed_by = reviewer
    activity.reviewed_at = timezone.now()
    activity.review_note = note.strip()
    activity.full_clean(exclude=CLEAN_EXCLUDE)
    activity.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    # Later apps (points) credit or reverse on this; only once the review is committed.
    transaction.on_commit(lambda: signals.activity_reviewed.send(sender=Activity, activity=activity, decision=decision))
    return activity


@transaction.atomic
def add_photo(*, activity, uploaded_by, data: bytes, problem_uuid=None):
    """Stores a clean copy of a photo. Returns (photo, created, location_used). A photo already
    on the activity is returned as it is (linked to the problem if it was linked to none). With
    no location yet, the photo's EXIF position becomes it. problem_uuid: the client_uuid of one
    of this activity's problems that the photo shows."""
    problem = None
    if problem_uuid is not None:
        problem = ProblemReport.objects.filter(activity_id=activity.pk, client_uuid=problem_uuid).first()
        if problem is None:
            raise UnknownProblem(_("该活动没有编号为 %(uuid)s 的问题。") % {"uuid": problem_uuid})
    processed = photo_processing.process(data)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    existing = Photo.objects.filter(activity=activity, sha256=processed.sha256).first()
    if existing is not None:
        # A retry of the upload that carried the link, or the photo sent again for its problem.
        # A photo already showing another problem stays with it.
        if problem is not None and existing.problem_id is None:
            existing.problem = problem
            existing.save(update_fields=["problem"])
        return existing, False, False

    exif_point = _point_geometry(processed.lonlat)
    photo = Photo(activity=activity, problem=problem, sha256=processed.sha256, exif_point=exif_point,
                  taken_at=processed.taken_at, width=processed.width, height=processed.height, uploaded_by=uploaded_by)
    stem = processed.sha256[:16]
    photo.image.save(f"{stem}.jpg", ContentFile(processed.image), save=False)
    photo.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(processed.thumbnail), save=False)
    photo.save()

    location_used = False
    # A reviewed activity is settled: a later photo may not move it (onto another chief's river).
    if (exif_point is not None and activity.track is None and activity.point is None
            and activity.status == Activity.Status.SUBMITTED):
        activity.point = exif_point
        activity.location_source = Activity.LocationSource.PHOTO
        activity.save(update_fields=["point", "location_source"])  # snapping reads the stored point
        _snap(activity)
        activity.save(update_fields=["waterway", "waterway_position_m", "off_network"])
        location_used = True
    return photo, True, location_used


def recompute_reach_visits(*, waterway_ids=None):
    """After reaches were re-cut: drop visits to reaches that no longer exist and record visits
    again for every activity whose track passes the re-cut waterways. Returns visits recorded."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM patrols_reachvisit v WHERE NOT EXISTS (SELECT 1 FROM waterways_reach r WHERE r.id = v.reach_id)"
        )
    activity_ids = selectors.activities_near_waterways(waterway_ids, settings.PATROL_BUFFER_M)
    if not activity_ids:
        return 0
    return record_reach_visits(activity_ids=activity_ids, waterway_ids=waterway_ids)
