// Records a patrol: GPS fixes from watchPosition (high accuracy), each written to IndexedDB as it
// arrives. A stretch without a usable fix, a pause, the page being hidden or reloaded all start a new
// segment, so the track is split at the gap and never bridged by a straight line. Fixes worse than the
// accuracy limit are dropped (and counted), as the server would drop them.
import * as store from './store.js';
import { CONFIG } from './page.js';

// No usable fix (an error, or only poor fixes) for this long is a stretch of lost signal: split there.
// Shorter hiccups are normal, and a phone standing still may send nothing without having lost anything.
const LOST_SIGNAL_MS = Math.min(30000, CONFIG.track_gap_seconds * 1000);
const NOTES_MAX_CHARS = 4000;  // the API's limit for an activity's notes
export const MARKERS_MAX = 50;  // the API's limit for problems in one activity

export function metresBetween(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

const round = (value, places) => Math.round(value * 10 ** places) / 10 ** places;

export class PatrolInProgress extends Error {}

export class Recorder {
  constructor({ onFix, onGps, onChange, onStorageError }) {
    this.onFix = onFix;            // (fix, {newSegment}) for every kept fix
    this.onGps = onGps;            // ({state, accuracy, position}) for every GPS event
    this.onChange = onChange;      // () when the patrol's state changed
    this.onStorageError = onStorageError;
    this.reset();
    this.watchId = null;
    this.position = null;
    document.addEventListener('visibilitychange', () => {
      // Phones stop or throttle GPS in the background: what follows is another stretch. Marked on
      // both edges, so that a fix slipping in just after hiding cannot use the break up.
      this.breakNext = true;
    });
  }

  reset() {
    this.patrol = null;
    this.fixes = [];
    this.last = null;
    this.breakNext = true;
    this.unusableSince = null;
    this.distance = 0;     // running totals: a four-hour patrol has ~15,000 fixes
    this.segments = 0;
  }

  get state() { return this.patrol ? this.patrol.state : 'idle'; }

  // The patrol left open by a closed tab or a reload, with its fixes. The caller draws them, then
  // calls watch() to carry on recording.
  async load() {
    const patrol = await store.get('patrol', 'current');
    if (!patrol) return null;
    this.reset();
    this.patrol = patrol;
    const fixes = (await store.fixesOf(patrol.uuid)).sort((a, b) => a.t - b.t);
    for (const fix of fixes) this.add(fix);
    this.breakNext = true;
    return patrol;
  }

  add(fix) {
    const previous = this.last;
    if (!previous || previous.seg !== fix.seg) this.segments += 1;
    else this.distance += metresBetween(previous, fix);
    this.fixes.push(fix);
    this.last = fix;
  }

  // Refuses to start over a patrol that is still open (another tab, another user on this phone):
  // its fixes would be orphaned.
  async start({ uuid, owner, companions }) {
    const now = Date.now();
    const patrol = {
      key: 'current', uuid, owner, started_at: now, state: 'recording', active_ms: 0, resumed_at: now,
      last_action_at: now, companions, notes: [], markers: [], dropped: 0,
    };
    await store.transaction(['patrol'], 'readwrite', async (stores) => {
      if (await store.request(stores.patrol.get('current'))) throw new PatrolInProgress();
      stores.patrol.add(patrol);
    });
    this.reset();
    this.patrol = patrol;
    this.onChange();
    this.watch();
  }

  async pause() {
    if (this.state !== 'recording') return;
    const now = Date.now();
    this.patrol.active_ms += now - this.patrol.resumed_at;
    this.patrol.state = 'paused';
    this.patrol.last_action_at = now;
    this.breakNext = true;
    await this.persist();
  }

  async resume() {
    if (this.state !== 'paused') return;
    this.patrol.state = 'recording';
    this.patrol.resumed_at = Date.now();
    this.patrol.last_action_at = this.patrol.resumed_at;
    this.breakNext = true;
    await this.persist();
    this.watch();
  }

  activeMs(now = Date.now()) {
    if (!this.patrol) return 0;
    return this.patrol.active_ms + (this.patrol.state === 'recording' ? now - this.patrol.resumed_at : 0);
  }

  distanceM() { return this.distance; }

  segmentCount() { return this.segments; }

  async update(changes) {
    Object.assign(this.patrol, changes, { last_action_at: Date.now() });
    await this.persist();
  }

  async persist() {
    try {
      await store.put('patrol', this.patrol);
    } catch (error) {
      this.onStorageError(error);
      throw error;
    }
    this.onChange();
  }

  watch() {
    if (!('geolocation' in navigator)) {
      this.onGps({ state: 'unsupported' });
      return;
    }
    if (this.watchId !== null) return;
    this.watchId = navigator.geolocation.watchPosition(
      (position) => this.receive(position),
      (error) => {
        if (error.code !== error.PERMISSION_DENIED && this.unusableSince === null) this.unusableSince = Date.now();
        this.onGps({ state: error.code === error.PERMISSION_DENIED ? 'denied' : 'unavailable' });
      },
      { enableHighAccuracy: true, maximumAge: 0, timeout: LOST_SIGNAL_MS },
    );
  }

  receive(position) {
    // The phone's clock, not the fix's own stamp: one clock for fixes, pauses and gaps (some phones
    // hand out cached or skewed fix times).
    const t = Date.now();
    const { longitude, latitude, accuracy } = position.coords;
    this.position = { lon: longitude, lat: latitude, accuracy, t };
    if (accuracy > CONFIG.gps_max_accuracy_m) {
      if (this.unusableSince === null) this.unusableSince = t;
      if (this.state === 'recording') {
        this.patrol.dropped += 1;
        this.persist().catch(() => {});
      }
      this.onGps({ state: 'poor', accuracy, position: this.position });
      return;
    }
    const lostSignal = this.unusableSince !== null && t - this.unusableSince >= LOST_SIGNAL_MS;
    this.unusableSince = null;
    this.onGps({ state: 'ok', accuracy, position: this.position });
    if (this.state !== 'recording') return;
    const fix = { patrol: this.patrol.uuid, lon: round(longitude, 7), lat: round(latitude, 7), t, acc: round(accuracy, 1) };
    const last = this.last;
    const gap = !last || t - last.t > CONFIG.track_gap_seconds * 1000 || metresBetween(last, fix) > CONFIG.track_jump_m;
    const newSegment = this.breakNext || lostSignal || gap;
    fix.seg = !last ? 0 : last.seg + (newSegment ? 1 : 0);
    this.breakNext = false;
    this.add(fix);
    store.putFix(fix).catch((error) => this.onStorageError(error));
    this.onFix(fix, { newSegment });
  }

  // The activity body for the API, following the API's own rules so that it is not refused: the kept
  // fixes as segments of [lon, lat, unix_ms, accuracy] (a segment that never moved is no line); a
  // patrol that never moved is sent as a point; with no fix, without a location. A patrol left
  // running (Stop forgotten) ends at its last fix or action, not hours later when Stop was tapped,
  // and at most CONFIG.activity_max_hours after it started.
  body({ stoppedAt, isoLocal }) {
    const patrol = this.patrol;
    let evidence = Math.max(patrol.last_action_at || patrol.started_at, this.last ? this.last.t : 0);
    let ended = stoppedAt - evidence > CONFIG.track_gap_seconds * 1000 ? evidence : stoppedAt;
    let started = patrol.started_at;
    const longest = CONFIG.activity_max_hours * 3600 * 1000;
    if (ended - started > longest) started = ended - longest + 1000;
    ended = Math.max(ended, started);
    const segments = new Map();
    for (const fix of this.fixes) {
      if (fix.t < started || fix.t > ended) continue;
      if (!segments.has(fix.seg)) segments.set(fix.seg, []);
      segments.get(fix.seg).push([fix.lon, fix.lat, fix.t, fix.acc]);
    }
    const moved = (line) => line.some(([lon, lat]) => lon !== line[0][0] || lat !== line[0][1]);
    const lines = [...segments.values()].filter((line) => line.length >= 2 && moved(line));
    let notes = patrol.notes.map((note) => note.text).join('\n');
    if (notes.length > NOTES_MAX_CHARS) notes = `${notes.slice(0, NOTES_MAX_CHARS - 1)}…`;
    const body = {
      client_uuid: patrol.uuid,
      kind: 'patrol',
      started_at: isoLocal(started),
      ended_at: isoLocal(ended),
      participants: patrol.companions,
      notes,
      location_source: 'gps',
    };
    if (lines.length) body.points = lines;
    else if (this.last) body.point = [this.last.lon, this.last.lat];
    const markers = patrol.markers.slice(0, MARKERS_MAX).map((marker) => marker.problem)
      .filter((problem) => { const t = Date.parse(problem.observed_at); return t >= started - 3600000 && t <= ended + 3600000; });
    if (markers.length) body.problems = markers;
    return body;
  }
}
