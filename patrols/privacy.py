"""Personal information (China's Personal Information Protection Law, PIPL) held in patrols: a
person's copy of their own data, and what is forgotten when a person leaves.

What is a person's own:
- the activities they took part in (a service record) or submitted: all of each, the notes and the
  review included, as the reading rule already shows them to them; but of the other participants
  only how many there were — never their names or phones, since the file leaves the system;
- the problems they reported (on activities they submitted) and the photos of their activities:
  metadata and the addresses of the permission-checked photo view, not the image bytes; the photo's
  own position only for photos they took;
- their tracks, as GPX 1.1 (tracks_gpx);
- the activities staff removed them from (services.remove_participant): no longer theirs, but the
  entry and its reason were written about them.

Forgetting (services.forget_person, run by people.services.anonymise_person through the
person_anonymising signal, patrols/receivers.py): every raw GPS fix of their activities is deleted; the track line of an
activity nobody else took part in is deleted too, while its reach visits (rows of their own) stay,
so coverage, gaps and freshness do not change; an activity others also took part in keeps its
track (it is their walk as well, and the evidence of their own service and patrols). The position
in the metadata of every photo they uploaded is deleted. The person's name is removed where patrols
copied it.

people may not import patrols, so the export of a person's data (which reads activities) lives
here, and the part of the anonymisation that touches activities in patrols/services.py."""

from __future__ import annotations

import bisect
import io
import json
import zipfile

import gpxpy.gpx
from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from people.models import Person
from riverwatch.dates import from_unix_ms, local_minute

from . import problem_reports, scopes
from .models import Activity, Photo, RawTrack, ServiceRecord
from .serializers import lonlat
from .tracks import is_finite_number, lonlat_to_storage

EXPORT_FORMAT = "riverwatch-personal-data"
EXPORT_VERSION = 1
# Stored and GPS positions are compared at a millimetre: the same fix projected the same way.
MATCH_DECIMALS = 3


# --- Whose activities ------------------------------------------------------------------------------

def activities_of(person):
    """The activities a person took part in (a service record) or submitted from their login (the
    reading rule's own activities; a person without a login submitted none)."""
    return Activity.objects.filter(scopes.own_q(person.user, person))


def others_took_part(person):
    """Q: someone else took part in the activity."""
    return Q(Exists(ServiceRecord.objects.filter(activity=OuterRef("pk")).exclude(person=person)))


# --- The person's copy: data.json --------------------------------------------------------------------

def _moment(value):
    return timezone.localtime(value).isoformat() if value is not None else None


def _waterway(waterway):
    return {"code": waterway.code, "name": waterway.name} if waterway is not None else None


def _person_record(person):
    user = person.user
    return {
        "id": person.pk,
        "name": person.name,
        "phone": person.phone,
        "role": person.role,
        "role_display": str(person.get_role_display()),
        "level": person.level,
        "level_display": str(person.get_level_display()) if person.level else "",
        "town": person.town.name if person.town else None,
        "village": person.village.name if person.village else None,
        "on_register": person.is_active,
        # Typed by the office about the person: theirs to read as well (PIPL art. 45).
        "note": person.note,
        "registered_at": _moment(person.created_at),
        "login": {
            "username": user.get_username(),
            "date_joined": _moment(user.date_joined),
            "last_login": _moment(user.last_login),
        } if user is not None else None,
    }


def _teams(person):
    led = set(person.led_teams.values_list("pk", flat=True))
    return [
        {"name": team.name, "kind": team.kind, "kind_display": str(team.get_kind_display()), "leader": team.pk in led}
        for team in person.teams.order_by("name")
    ]


def _chief_posts(person):
    return [
        {"waterway": _waterway(post.waterway), "level": post.level, "level_display": str(post.get_level_display()),
         "since": post.since, "until": post.until}
        for post in person.chief_assignments.select_related("waterway").order_by("since", "pk")
    ]


def _activity_rows(person):
    return (
        activities_of(person)
        .select_related("waterway")
        .annotate(point_api=Transform("point", settings.API_SRID))
        .prefetch_related("service_records")
        .order_by("started_at", "pk")
    )


def _activity_record(activity, person, url):
    records = list(activity.service_records.all())
    mine = next((record for record in records if record.person_id == person.pk), None)
    return {
        "id": activity.pk,
        "url": url(reverse("activity-detail", args=[activity.pk])),
        "kind": activity.kind,
        "kind_display": str(activity.get_kind_display()),
        "started_at": _moment(activity.started_at),
        "ended_at": _moment(activity.ended_at),
        "received_at": _moment(activity.received_at),
        "waterway": _waterway(activity.waterway),
        "location_source": activity.location_source,
        "point": lonlat(activity.point_api),
        "has_track": activity.track is not None,
        "distance_m": round(activity.distance_m, 1),
        "duration_s": activity.duration_s,
        "figures": {
            "debris_kg": float(activity.debris_kg) if activity.debris_kg is not None else None,
            "bags": activity.bags,
            "manholes_checked": activity.manholes_checked,
            "outfalls_checked": activity.outfalls_checked,
            "findings": activity.findings,
        },
        "notes": activity.notes,
        "status": activity.status,
        "status_display": str(activity.get_status_display()),
        "reviewed_at": _moment(activity.reviewed_at),
        "review_note": activity.review_note,
        "submitted_by_me": person.user_id is not None and activity.submitted_by_id == person.user_id,
        "my_service_record": {
            "role": mine.role, "role_display": str(mine.get_role_display()), "level": mine.level, "hours": mine.hours,
        } if mine else None,
        # How many took part; who they were is theirs, not part of this person's copy.
        "participant_count": len(records),
    }


def _removals(person):
    rows = Activity.objects.filter(removed_participants__contains=[{"person": person.pk}]).order_by("started_at", "pk")
    return [
        {"activity": activity.pk, "kind": activity.kind, "kind_display": str(activity.get_kind_display()),
         "started_at": _moment(activity.started_at), "hours": entry.get("hours"),
         "removed_at": _moment(parse_datetime(entry.get("at") or "")), "reason": entry.get("reason", "")}
        for activity in rows for entry in activity.removed_participants if entry.get("person") == person.pk
    ]


def _problems(person):
    if person.user_id is None:
        return []
    rows = problem_reports.reported_by(person.user_id)
    return [
        {"activity": problem.activity_id, "category": problem.category,
         "category_display": str(problem.get_category_display()), "note": problem.note,
         "observed_at": _moment(problem.observed_at), "point": lonlat(problem.point_api),
         "waterway": _waterway(problem.waterway)}
        for problem in rows
    ]


def _photos(person, url):
    rows = (
        Photo.objects.filter(activity__in=activities_of(person))
        .annotate(exif_api=Transform("exif_point", settings.API_SRID))
        .order_by("activity_id", "pk")
    )
    photos = []
    for photo in rows:
        mine = person.user_id is not None and photo.uploaded_by_id == person.user_id
        photos.append({
            "id": photo.pk,
            "activity": photo.activity_id,
            "problem": photo.problem_id,
            "url": url(reverse("activity-photo", args=[photo.activity_id, photo.pk, "full"])),
            "thumbnail_url": url(reverse("activity-photo", args=[photo.activity_id, photo.pk, "thumb"])),
            "width": photo.width,
            "height": photo.height,
            "taken_at": _moment(photo.taken_at),
            "uploaded_at": _moment(photo.uploaded_at),
            "uploaded_by_me": mine,
            # Where the camera was: a position of the person who took it, so only in their own copy.
            "location": lonlat(photo.exif_api) if mine else None,
        })
    return photos


def export_summary(person) -> dict:
    """What an export of the person's data holds, counted (the export page shows it)."""
    activities = activities_of(person)
    return {
        "activities": activities.count(),
        "service_records": ServiceRecord.objects.filter(person=person).count(),
        "tracks": activities.filter(track__isnull=False).count(),
        "problems": problem_reports.reported_by(person.user_id).count() if person.user_id else 0,
        "photos": Photo.objects.filter(activity__in=activities).count(),
        "teams": person.teams.count(),
        "chief_posts": person.chief_assignments.count(),
    }


def personal_data(person, *, absolute_url=None) -> dict:
    """Everything RiverWatch holds about a person, as plain data (data.json). absolute_url turns a
    path into a full address (request.build_absolute_uri); paths stay relative without it."""
    url = absolute_url or (lambda path: path)
    person = Person.objects.select_related("town", "village", "user").get(pk=person.pk)
    activities = [_activity_record(activity, person, url) for activity in _activity_rows(person)]
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _moment(timezone.now()),
        "coordinates": "WGS-84 [lon, lat]",
        "person": _person_record(person),
        "teams": _teams(person),
        "chief_posts": _chief_posts(person),
        "activities": activities,
        "removed_from_activities": _removals(person),
        "problems_reported": _problems(person),
        "photos": _photos(person, url),
        "tracks": {"file": "tracks.gpx", "count": sum(1 for activity in activities if activity["has_track"])},
    }


# --- The person's copy: tracks.gpx ---------------------------------------------------------------------

def _fix_times(activity, raw):
    """{(x, y) in the storage SRID at a millimetre: sorted unix ms} of the raw fixes the cleaning
    may have kept; empty without timed raw fixes (a GeoJSON track, or purged)."""
    if raw is None or raw.source not in ("points", "gpx") or not isinstance(raw.fixes, list):
        return {}
    max_accuracy = (activity.track_quality or {}).get("max_accuracy_m")
    fixes = []
    for segment in raw.fixes:
        for row in segment if isinstance(segment, list) else []:
            if not isinstance(row, list) or len(row) < 3:
                continue
            lon, lat, ms = row[0], row[1], row[2]
            accuracy = row[3] if len(row) > 3 else None
            if not all(is_finite_number(value) for value in (lon, lat, ms)):
                continue
            if max_accuracy is not None and isinstance(accuracy, (int, float)) and accuracy > max_accuracy:
                continue  # dropped by the cleaning: never a vertex of the track
            fixes.append((float(lon), float(lat), int(ms)))
    if not fixes:
        return {}
    xs, ys = lonlat_to_storage().transform([fix[0] for fix in fixes], [fix[1] for fix in fixes])
    times = {}
    for x, y, (_lon, _lat, ms) in zip(xs, ys, fixes):
        times.setdefault((round(x, MATCH_DECIMALS), round(y, MATCH_DECIMALS)), []).append(ms)
    for stamps in times.values():
        stamps.sort()
    return times


def _timed(stored_line, fix_times):
    """The time of each vertex of a stored line: the fix it was cleaned from (the earliest at that
    position not before the vertex before it), None where no fix matches."""
    stamps, last = [], None
    for x, y in stored_line:
        candidates = fix_times.get((round(x, MATCH_DECIMALS), round(y, MATCH_DECIMALS)), [])
        index = bisect.bisect_left(candidates, last) if last is not None else 0
        ms = candidates[index] if index < len(candidates) else (candidates[0] if candidates else None)
        stamps.append(ms)
        last = ms if ms is not None else last
    return stamps


def _gpx_track(activity, fix_times):
    track = gpxpy.gpx.GPXTrack(
        name=f"{activity.get_kind_display()} #{activity.pk} {local_minute(activity.started_at)}",
    )
    track.type = activity.kind
    for stored, shown_line in zip(activity.track, activity.track_api):
        segment = gpxpy.gpx.GPXTrackSegment()
        for (lon, lat), ms in zip(shown_line.coords, _timed(stored.coords, fix_times)):
            time = from_unix_ms(ms) if ms is not None else None
            segment.points.append(gpxpy.gpx.GPXTrackPoint(latitude=round(lat, 7), longitude=round(lon, 7), time=time))
        track.segments.append(segment)
    return track


def tracks_gpx(person) -> str:
    """The person's tracks as GPX 1.1: one <trk> per activity, one <trkseg> per stored segment (as
    cleaned: split at GPS gaps), each point with the time of its raw fix while the raw fixes are
    kept (RAW_TRACK_RETENTION_DAYS), without times otherwise."""
    document = gpxpy.gpx.GPX()
    document.creator = "RiverWatch"
    document.name = f"RiverWatch #{person.pk}"
    activities = (
        activities_of(person).filter(track__isnull=False)
        .annotate(track_api=Transform("track", settings.API_SRID))
        .order_by("started_at", "pk")
    )
    for activity in activities.iterator(chunk_size=50):
        raw = RawTrack.objects.filter(activity_id=activity.pk).first()  # one at a time: fixes are large
        document.tracks.append(_gpx_track(activity, _fix_times(activity, raw)))
    return document.to_xml(version="1.1")


def _write_copy(archive, person, folder, absolute_url):
    data = json.dumps(personal_data(person, absolute_url=absolute_url), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    archive.writestr(f"{folder}data.json", data)
    archive.writestr(f"{folder}tracks.gpx", tracks_gpx(person))


def export_zip(person, *, absolute_url=None) -> bytes:
    """A zip of data.json and tracks.gpx: the person's copy."""
    return export_zip_many([person], absolute_url=absolute_url, folders=False)


def export_zip_many(people, *, absolute_url=None, folders=True) -> bytes:
    """Several people's copies in one zip, a folder each (<id>/data.json, <id>/tracks.gpx): staff
    exporting from the admin."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for person in people:
            _write_copy(archive, person, f"{person.pk}/" if folders else "", absolute_url)
    return buffer.getvalue()


def export_filename(person=None) -> str:
    who = f"-{person.pk}" if person is not None else ""
    return f"riverwatch-personal-data{who}-{timezone.localdate():%Y%m%d}.zip"
