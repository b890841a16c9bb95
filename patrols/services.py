"""Every write to activities. A submission is stored once, whatever the network does: the
client's uuid is locked for the transaction, and a repeat with the same body returns the
stored record. Submissions arrive checked and projected (patrols.submissions)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db.models.functions import PointOnSurface
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people import selectors as people_selectors
from people import services as people_services
from people.models import Person
from riverwatch import model_checks
from riverwatch import photos as photo_processing

from . import privacy, problem_reports, rollups, scopes, selectors, signals, submissions
from .models import KINDS_WITHOUT_SERVICE, Activity, Photo, RawTrack, ServiceRecord
from .submissions import Submission


class DuplicateConflict(Exception):
    """The uuid is already used by a different submission."""


class AlreadyReviewed(ValidationError):
    """The activity was verified or rejected before."""


class NotVerified(ValidationError):
    """Only a verified activity can have its verification overturned."""


class NotAParticipant(ValidationError):
    """The person has no service record on the activity (never had, or was removed already)."""


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
#
# "Within the buffer" is ST_Buffer(track) as GEOS draws it, but the whole track is never buffered
# at once: for a long patrol that folds back on itself that takes about a minute (20,000 fixes).
# - along: the samples go to the reach index ALONG_CHUNK at a time; each sample of a chunk near
#   a reach is then tested alone, so the samples counted, and the fraction, are the same.
# - a reach of which every point lies within INSIDE_SHARE of the buffer distance of a sample lies
#   inside GEOS's buffer: its polygon falls short of the true distance by at most 1.5 % (0.5 %
#   where 8 chords per quarter circle stand for the arcs, 1 % for the shallow inside corners GEOS
#   drops before buffering). Such a reach is covered whole; nothing to measure. Tested on
#   stretches of the reach INSIDE_STEP_SHARE of the distance long: a stretch lies within D of a
#   sample when its midpoint is within D minus half its length.
# - the other reaches (covered in part, or near the buffer's edge) are measured against the
#   union of the buffers of the track's pieces near them: PIECE_VERTICES vertices each,
#   overlapping by one segment, with flat ends. Every vertex is then inside a piece with the same
#   neighbours, so the union has the joins of the whole buffer and no end it lacks; the round
#   caps at a line's two ends are added as the whole buffer has them (a closed line has none,
#   only the join where it closes). Only GEOS's dropping of shallow inside corners, which depends
#   on where a line starts, can move the outline near a piece's end, by under 1 % of the distance.
REACH_VISITS_SQL = """
WITH a AS MATERIALIZED (
    SELECT id, started_at, track
      FROM patrols_activity
     WHERE id = ANY(%(activities)s) AND track IS NOT NULL
), chunks AS MATERIALIZED (
    SELECT a.id AS activity_id, ST_Collect(d.geom) AS geom
      FROM a CROSS JOIN LATERAL ST_DumpPoints(ST_Segmentize(a.track, %(sample)s)) WITH ORDINALITY AS d(path, geom, n)
     GROUP BY a.id, (d.n - 1) / %(chunk)s
), near AS (
    SELECT r.id AS reach_id, c.activity_id, r.geom AS reach, s.geom
      FROM chunks c
      JOIN waterways_reach r ON ST_DWithin(r.geom, c.geom, %(buffer)s)
     CROSS JOIN LATERAL ST_DumpPoints(c.geom) AS s
     WHERE ST_DWithin(r.geom, s.geom, %(buffer)s)
       AND (%(waterways)s::bigint[] IS NULL OR r.waterway_id = ANY(%(waterways)s::bigint[]))
), along AS (
    SELECT reach_id, activity_id, ST_Collect(geom) AS samples,
           MAX(ST_LineLocatePoint(reach, geom)) - MIN(ST_LineLocatePoint(reach, geom)) AS fraction
      FROM near
     GROUP BY reach_id, activity_id
), candidates AS MATERIALIZED (
    SELECT along.reach_id, along.activity_id, along.fraction, r.geom,
           NOT EXISTS (
               SELECT FROM ST_DumpSegments(ST_Segmentize(r.geom, %(inside_step)s)) AS stretch
                WHERE NOT ST_DWithin(along.samples, ST_LineInterpolatePoint(stretch.geom, 0.5),
                                     %(inside)s - ST_Length(stretch.geom) / 2)
           ) AS inside
      FROM along JOIN waterways_reach r ON r.id = along.reach_id
     WHERE along.fraction >= %(min_fraction)s  -- the costly part only where it can matter
), uncertain AS (
    SELECT reach_id, activity_id, fraction, geom FROM candidates WHERE NOT inside
), parts AS MATERIALIZED (
    SELECT a.id AS activity_id, d.path[1] AS part, ST_RemoveRepeatedPoints(d.geom) AS line
      FROM a CROSS JOIN LATERAL ST_Dump(a.track) AS d
     WHERE a.id IN (SELECT activity_id FROM uncertain)
), pieces AS (
    SELECT v.activity_id, ST_MakeLine(v.geom ORDER BY v.i) AS line
      FROM (SELECT parts.activity_id, parts.part, p.path[1] AS i, p.geom
              FROM parts CROSS JOIN LATERAL ST_DumpPoints(parts.line) AS p) AS v
     CROSS JOIN LATERAL (VALUES ((v.i - 1) / %(piece)s),
                                (CASE WHEN (v.i - 1) %% %(piece)s < 2 THEN (v.i - 1) / %(piece)s - 1 END)) AS piece(k)
     WHERE piece.k >= 0
     GROUP BY v.activity_id, v.part, piece.k
    HAVING COUNT(*) > 1
    UNION ALL  -- where a closed line closes
    SELECT activity_id, ST_MakeLine(ARRAY[ST_PointN(line, -2), ST_StartPoint(line), ST_PointN(line, 2)])
      FROM parts
     WHERE ST_IsClosed(line) AND ST_NPoints(line) > 3
), ends AS (
    SELECT parts.activity_id, e.line, e.tip
      FROM parts CROSS JOIN LATERAL (
               SELECT ST_MakeLine(ST_PointN(parts.line, 2), ST_StartPoint(parts.line)) AS line,
                      ST_StartPoint(parts.line) AS tip
               UNION ALL
               SELECT ST_MakeLine(ST_PointN(parts.line, -2), ST_EndPoint(parts.line)), ST_EndPoint(parts.line)
           ) AS e
     WHERE NOT (ST_IsClosed(parts.line) AND ST_NPoints(parts.line) > 3)
), shapes AS (
    SELECT p.activity_id, ST_Buffer(p.line, %(buffer)s, 'endcap=flat') AS zone
      FROM pieces p
     WHERE EXISTS (SELECT FROM uncertain u WHERE u.activity_id = p.activity_id AND u.geom && ST_Expand(p.line, %(buffer)s))
    UNION ALL  -- the round cap at the end of a line: its segment's round buffer less the flat one, this end's half
    SELECT e.activity_id,
           (SELECT cap.geom
              FROM ST_Dump(ST_Difference(ST_Buffer(e.line, %(buffer)s), ST_Buffer(e.line, %(buffer)s, 'endcap=flat'))) AS cap
             ORDER BY ST_Distance(cap.geom, e.tip) LIMIT 1)
      FROM ends e
     WHERE EXISTS (SELECT FROM uncertain u WHERE u.activity_id = e.activity_id AND u.geom && ST_Expand(e.line, %(buffer)s))
), zones AS MATERIALIZED (
    SELECT activity_id, ST_Union(zone) AS zone FROM shapes GROUP BY activity_id
), covered AS (
    SELECT reach_id, activity_id, fraction FROM candidates WHERE inside
    UNION ALL
    SELECT u.reach_id, u.activity_id,
           LEAST(1.0, ST_Length(ST_Intersection(u.geom, z.zone)) / ST_Length(u.geom), u.fraction)
      FROM uncertain u JOIN zones z ON z.activity_id = u.activity_id
)
INSERT INTO patrols_reachvisit (reach_id, activity_id, visited_at, covered_fraction)
SELECT covered.reach_id, covered.activity_id, a.started_at, covered.fraction
  FROM covered JOIN a ON a.id = covered.activity_id
 WHERE covered.fraction >= %(min_fraction)s
ON CONFLICT (reach_id, activity_id) DO NOTHING
"""
ALONG_SAMPLE_M = 5.0
MIN_VISITED_FRACTION = 0.5
ALONG_CHUNK = 100  # samples per probe of the reach index
INSIDE_SHARE = 0.96  # of PATROL_BUFFER_M: surely inside GEOS's buffer (see above)
INSIDE_STEP_SHARE = 0.2  # of PATROL_BUFFER_M: the stretches of a reach tested for that
PIECE_VERTICES = 20  # more per piece costs more where a patrol stood still (a dense scribble)

# The waterway an activity belongs to: among those within SNAP_DISTANCE_M, the one whose
# reaches the patrol covered most, then the nearest. Position: where the track starts, or the point.
# Distances between a whole track and whole waterways cost the most (a 500-fix track against a
# river), so they are measured only where they decide: the covered waterways are tested first,
# one by one (the scalar subquery keeps the planner from testing every waterway near the track),
# the others only when none was covered, and ST_Distance only between candidates that tie.
SNAP_SQL = """
WITH a AS (
    SELECT COALESCE(track::geometry, point::geometry) AS shape,
           COALESCE(ST_StartPoint(ST_GeometryN(track, 1)), point) AS locator
      FROM patrols_activity WHERE id = %(activity)s
), covered AS MATERIALIZED (
    SELECT r.waterway_id AS id, SUM(r.end_m - r.start_m) AS metres
      FROM patrols_reachvisit v JOIN waterways_reach r ON r.id = v.reach_id
     WHERE v.activity_id = %(activity)s
     GROUP BY r.waterway_id
), covered_near AS MATERIALIZED (
    SELECT c.id, c.metres
      FROM covered c, a
     WHERE ST_DWithin((SELECT w.geom FROM waterways_waterway w WHERE w.id = c.id), a.shape, %(snap)s)
), candidates AS MATERIALIZED (
    SELECT id FROM covered_near WHERE metres = (SELECT max(metres) FROM covered_near)
    UNION ALL
    SELECT w.id FROM a JOIN waterways_waterway w ON ST_DWithin(w.geom, a.shape, %(snap)s)
     WHERE NOT EXISTS (SELECT FROM covered_near)
)
SELECT w.id, ST_LineLocatePoint(w.geom, a.locator) * ST_Length(w.geom)
  FROM candidates c JOIN waterways_waterway w ON w.id = c.id CROSS JOIN a
 ORDER BY CASE WHEN (SELECT count(*) FROM candidates) > 1 THEN ST_Distance(w.geom, a.shape) END, w.id
 LIMIT 1
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
                "chunk": ALONG_CHUNK,
                "inside": INSIDE_SHARE * settings.PATROL_BUFFER_M,
                "inside_step": INSIDE_STEP_SHARE * settings.PATROL_BUFFER_M,
                "piece": PIECE_VERTICES,
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


def _track_geometry(submission: Submission):
    multiline = submission.track_geometry
    if multiline is not None and not multiline.valid:
        raise ValidationError(_("轨迹几何无效：%(reason)s") % {"reason": multiline.valid_reason})
    return multiline


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


# Left out of full_clean(): client_uuid's uniqueness is settled by the advisory lock. The
# geometries were checked with GEOS when built; Django would send each whole track to the
# database again to evaluate the isvalid constraints (and cannot evaluate them on an empty
# geometry at all). The database still enforces them. A new record's other check constraints
# are left to its INSERT too (model_checks: one statement instead of one query each).
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
    if submission.ended_at - submission.started_at > timedelta(hours=settings.ACTIVITY_MAX_HOURS):
        raise ValidationError(_("一次活动不能超过 %(hours)s 小时，请检查日期或分开登记。") % {"hours": settings.ACTIVITY_MAX_HOURS})
    if submission.started_at > timezone.now() + timedelta(minutes=10):
        raise ValidationError(_("开始时间在将来，请检查手机时间。"))
    problem_reports.check(submission)
    try:
        problem_reports.claim_uuids(submission.problems)
    except problem_reports.DuplicateProblem as duplicate:
        raise DuplicateConflict(str(duplicate)) from None
    if submission.kind in KINDS_WITHOUT_SERVICE:
        _check_reporter(submitted_by=submitted_by, participant_ids=submission.participant_ids)
        participants = []  # so no service record, and nobody measured against the patrol rules
    else:
        participants = _participants(submitted_by=submitted_by, participant_ids=submission.participant_ids)
    point = submission.point
    if point is None and submission.kind == Activity.Kind.PROBLEM_REPORT:
        # A standalone report is where its problem is.
        point = next((problem.point for problem in submission.problems if problem.point is not None), None)
    track = _track_geometry(submission)

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
    activity.full_clean(exclude=CLEAN_EXCLUDE, validate_constraints=False)
    with model_checks.checked_by_the_database(Activity):
        activity.save()
    if submission.raw_fixes is not None:
        RawTrack.objects.create(activity=activity, fixes=submission.raw_fixes, source=submission.raw_source)

    problem_reports.create(activity, submission.problems)
    if track is not None:
        # The slowest step, and it needs no lock: done before the people are locked below (held
        # until the commit), so one person's two submissions wait on each other for less.
        record_reach_visits(activity_ids=[activity.pk])

    hours = _service_hours(activity.started_at, activity.ended_at)
    busy = _already_serving(participants, activity.started_at, activity.ended_at)
    activity.skipped_participants = [
        {"person": person.id, "name": person.name, "activity": busy[person.id]} for person in participants if person.id in busy
    ]
    # Only those counted here get a service record, and only they are measured against the
    # patrol rules: a chief counted for an overlapping copy of this walk is not counted twice.
    ServiceRecord.objects.bulk_create(
        ServiceRecord(activity=activity, person=person, role=person.role, level=person.level, hours=hours)
        for person in participants if person.id not in busy
    )
    if track is not None:
        # Its visits are new: added to the rollups (by the roles just recorded), not their reach-years re-read.
        rollups.add_activities([activity.pk])
    _snap(activity)
    activity.save(update_fields=["waterway", "waterway_position_m", "off_network", "skipped_participants"])
    return activity, True


@transaction.atomic
def review_activity(*, activity, reviewer, decision, note=""):
    """Verifies or rejects a submitted activity. Reviewers: staff, leaders of a participant's
    team, chiefs of the activity's waterway — never the submitter or a participant."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if not scopes.may_review(reviewer, activity):
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
    if activity.status == Activity.Status.REJECTED:
        refresh_visit_rollups(activity_ids=[activity.pk])
    # Later apps (points) credit or reverse on this; only once the review is committed.
    transaction.on_commit(lambda: signals.activity_reviewed.send(
        sender=Activity, activity=activity, decision=decision, previous_status=Activity.Status.SUBMITTED.value,
    ))
    return activity


# --- Staff correcting a settled record: overturning a verification, removing a participant -------------

OVERTURN_REFUSED = gettext_lazy("只有河长办工作人员可以撤销审核。")
REMOVAL_REFUSED = gettext_lazy("只有河长办工作人员可以移除参与人员。")


def refuse_unless_may_correct(user, refusal):
    """PermissionDenied(refusal) unless the login may correct records (scopes.may_correct)."""
    if not scopes.may_correct(user):
        raise PermissionDenied(str(refusal))


def _required_reason(text, message):
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


@transaction.atomic
def overturn_verification(*, activity, by, note):
    """Staff turn a verified activity into a rejected one (撤销审核并驳回), with the reason as the
    review note; the reviewer and time become theirs. Announced like a review (decision "reject",
    previous_status "verified"), so what was credited on the verification can be reversed."""
    refuse_unless_may_correct(by, OVERTURN_REFUSED)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status != Activity.Status.VERIFIED:
        raise NotVerified(_("只有已审核通过的记录可以撤销审核，这条记录现在是“%(status)s”。")
                          % {"status": activity.get_status_display()})
    note = _required_reason(note, _("撤销审核时请写明原因。"))
    activity.status = Activity.Status.REJECTED
    activity.reviewed_by = by
    activity.reviewed_at = timezone.now()
    activity.review_note = note
    activity.full_clean(exclude=CLEAN_EXCLUDE)
    activity.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    refresh_visit_rollups(activity_ids=[activity.pk])
    transaction.on_commit(lambda: signals.activity_reviewed.send(
        sender=Activity, activity=activity, decision="reject", previous_status=Activity.Status.VERIFIED.value,
    ))
    return activity


@transaction.atomic
def remove_participant(*, activity, person, by, reason):
    """Staff remove a person from an activity they did not really take part in: their service
    record is deleted (so it no longer counts toward the target, nor toward their patrol rule) and
    the activity keeps who was removed, by whom, when and why (removed_participants).

    Removing the last participant is allowed: the activity stays (its submitter, track, problems
    and review still record what happened) and simply counts toward nobody's service."""
    refuse_unless_may_correct(by, REMOVAL_REFUSED)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    record = ServiceRecord.objects.filter(activity=activity, person=person).select_related("person").first()
    if record is None:
        raise NotAParticipant(_("%(name)s 不在这次活动的参与人员中（或已被移除）。") % {"name": person.name})
    reason = _required_reason(reason, _("移除参与人员时请写明原因。"))
    activity.removed_participants = [*activity.removed_participants, {
        "person": record.person_id, "name": record.person.name, "hours": str(record.hours),
        "by": by.pk, "at": timezone.now().isoformat(), "reason": reason,
    }]
    record_id = record.pk
    record.delete()  # the rollups follow (patrols.receivers): the roles that took part may be fewer
    activity.full_clean(exclude=CLEAN_EXCLUDE)
    activity.save(update_fields=["removed_participants"])
    transaction.on_commit(lambda: signals.participant_removed.send(
        sender=Activity, activity=activity, person=record.person, service_record_id=record_id, by=by, reason=reason,
    ))
    return activity


def add_photo(*, activity, uploaded_by, data: bytes, problem_uuid=None):
    """Stores a clean copy of a photo. Returns (photo, created, location_used). A photo already
    on the activity is returned as it is (linked to the problem if it was linked to none). With
    no location yet, the photo's EXIF position becomes it. problem_uuid: the client_uuid of one
    of this activity's problems that the photo shows."""
    processed = photo_processing.process(data)
    with photo_processing.files_removed_unless_stored() as written, transaction.atomic():
        return _store_photo(activity=activity, uploaded_by=uploaded_by, processed=processed,
                            problem_uuid=problem_uuid, written=written)


def _store_photo(*, activity, uploaded_by, processed, problem_uuid, written):
    problem = problem_reports.of_activity(activity, problem_uuid) if problem_uuid is not None else None
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    existing = Photo.objects.filter(activity=activity, sha256=processed.sha256).first()
    if existing is not None:
        # A retry of the upload that carried the link, or the photo sent again for its problem.
        # A photo already showing another problem stays with it.
        if problem is not None and existing.problem_id is None:
            existing.problem = problem
            existing.save(update_fields=["problem"])
        return existing, False, False

    # A camera with a stale or made-up position must not move an activity abroad: outside the
    # service area the position is not used.
    exif_point = submissions.point_inside(processed.lonlat) if processed.lonlat else None
    photo = Photo(activity=activity, problem=problem, sha256=processed.sha256, exif_point=exif_point,
                  taken_at=processed.taken_at, width=processed.width, height=processed.height, uploaded_by=uploaded_by)
    photo_processing.save_files(photo, processed, written)
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
    """After reaches were re-cut (their old visits went with them: ON DELETE CASCADE), record
    visits again for every activity whose track passes the re-cut waterways. Returns visits recorded."""
    activity_ids = selectors.activities_near_waterways(waterway_ids, settings.PATROL_BUFFER_M)
    recorded = record_reach_visits(activity_ids=activity_ids, waterway_ids=waterway_ids) if activity_ids else 0
    rollups.rebuild(waterway_ids)
    return recorded


def refresh_visit_rollups(*, activity_ids):
    """Bring the reach rollups (patrols.rollups) in step with these activities' visits, status and
    participants: the rows of every (reach, year) their visits fall in. Call it in the transaction
    that changed them. Deletions need no call: patrols.receivers refreshes after an activity or a
    service record is deleted, however it is deleted (a service, the admin, a cascade)."""
    rollups.refresh_pairs(rollups.keys_of_activities(activity_ids))


@transaction.atomic
def rebuild_visit_rollups(*, waterway_ids=None) -> int:
    """Rebuild the reach rollups of these waterways (None: every one) from their visits. Returns rows written."""
    return rollups.rebuild(waterway_ids)


# --- Personal information: forgetting a person who leaves, and raw fixes past their retention -----------

@transaction.atomic
def forget_person(*, person, label) -> str:
    """The patrols part of anonymising a person (what and why: patrols/privacy.py's docstring).
    Returns what was done, in a phrase for the person's note."""
    theirs = privacy.activities_of(person)
    raw_deleted, _per_model = RawTrack.objects.filter(activity__in=theirs).delete()

    alone = theirs.filter(track__isnull=False).exclude(privacy.others_took_part(person))
    # The activity's place stays where the map, the tiles and the hotspots put it (a point on its
    # track), so they show the same; only the line of the walk goes.
    alone.filter(point__isnull=True).update(point=PointOnSurface("track"))
    # The track quality's gaps and speed flags are places on the walk: they go with it (jsonb minus keys).
    lines_deleted = alone.update(track=None, track_quality=RawSQL("track_quality - %s::text[]", (["gaps", "speed_flags"],)))
    # Where they stood when they took a photo; the activity keeps the place it was given.
    positions_deleted = 0
    if person.user_id is not None:
        positions_deleted = Photo.objects.filter(uploaded_by_id=person.user_id, exif_point__isnull=False).update(exif_point=None)

    # Activities they were removed from are no longer theirs, but what staff typed there may name them.
    removed_from = Activity.objects.filter(removed_participants__contains=[{"person": person.pk}])
    for activities in (theirs, removed_from):
        people_services.replace_typed_text(activities, ["notes", "findings", "review_note"], person.name, label)
    people_services.replace_typed_text(problem_reports.of_activities(theirs), ["note"], person.name, label)
    # Participants not counted twice, or removed by staff, are listed by name on the activity.
    for activity in Activity.objects.filter(skipped_participants__contains=[{"person": person.pk}]).only("pk", "skipped_participants"):
        skipped = [{**entry, "name": label} if entry.get("person") == person.pk else entry for entry in activity.skipped_participants]
        Activity.objects.filter(pk=activity.pk).update(skipped_participants=skipped)
    for activity in removed_from.only("pk", "removed_participants"):
        removed = [_unnamed_removal(entry, person, label) for entry in activity.removed_participants]
        Activity.objects.filter(pk=activity.pk).update(removed_participants=removed)

    return ("删除原始轨迹 {raw} 条、仅本人参加的活动的轨迹线 {lines} 条（河段巡查记录保留）、照片位置信息 {photos} 条"
            .format(raw=raw_deleted, lines=lines_deleted, photos=positions_deleted))


def _unnamed_removal(entry, person, label):
    """A removed_participants entry with the person's name gone: theirs, and from every reason
    (the same rule as people.services.replace_typed_text: a one-character name is left alone)."""
    if entry.get("person") == person.pk:
        entry = {**entry, "name": label}
    if len(person.name) >= 2 and person.name in entry.get("reason", ""):
        entry = {**entry, "reason": entry["reason"].replace(person.name, label)}
    return entry


def purge_raw_tracks(*, cutoff, batch_size=500, on_batch=None) -> int:
    """Deletes the raw fixes of activities that started before `cutoff`, in short transactions of
    `batch_size` (phones keep submitting meanwhile). `on_batch(n)` after each. Returns how many went."""
    expired = selectors.raw_tracks_started_before(cutoff)
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not batch:
                return deleted
            count, _per_model = RawTrack.objects.filter(pk__in=batch).delete()
        deleted += count
        if on_batch:
            on_batch(count)
