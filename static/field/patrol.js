// Record a patrol: start / pause / stop, the live track with the accuracy circle, distance and time,
// companions, photos, notes and problem markers on the way, the screen kept awake while recording.
import { kindColour } from '../js/util.js';
import {
  CONFIG, TEXT, banner, clock, companionPicker, el, hourMinute, isoLocal, knownUserId, loadMe, sheet, start, syncNow, t, toast, uuid4,
} from './common.js';
import { fieldMap } from './fieldmap.js';
import * as outbox from './outbox.js';
import { PhotoError, preparePhoto } from './photos.js';
import { MARKERS_MAX, PatrolInProgress, Recorder } from './recorder.js';
import * as store from './store.js';

const $ = (id) => document.getElementById(id);
const { map, ready } = fieldMap($('field-map'));
start({ ready });

// --- map layers ---------------------------------------------------------------------------------
const trackLayer = L.featureGroup().addTo(map);
const markerLayer = L.featureGroup().addTo(map);
let currentLine = null;
let accuracyCircle = null;
let positionDot = null;
let follow = true;
map.on('dragstart', () => { follow = false; });

function drawFix(fix, newSegment) {
  if (!currentLine || newSegment) {
    // The patrol colour of every map (css/kinds.css): orange stands out on the blue rivers.
    currentLine = L.polyline([], { color: kindColour('patrol'), weight: 5, opacity: 0.9, className: 'rw-live-track' }).addTo(trackLayer);
  }
  currentLine.addLatLng([fix.lat, fix.lon]);
}

function drawPosition(position) {
  const latlng = [position.lat, position.lon];
  if (!accuracyCircle) {
    accuracyCircle = L.circle(latlng, { radius: position.accuracy, color: '#1c7ed6', weight: 1, fillOpacity: 0.12, className: 'rw-accuracy', interactive: false }).addTo(map);
    positionDot = L.circleMarker(latlng, { radius: 7, color: '#fff', weight: 2, fillColor: '#1c7ed6', fillOpacity: 1, className: 'rw-position' }).addTo(map);
    map.setView(latlng, Math.max(map.getZoom(), 16));
  } else {
    accuracyCircle.setLatLng(latlng).setRadius(position.accuracy);
    positionDot.setLatLng(latlng);
    if (follow) map.panTo(latlng, { animate: false });
  }
}

function drawMarker(marker) {
  if (!marker.problem.point) return;
  const [lon, lat] = marker.problem.point;
  L.circleMarker([lat, lon], {
    radius: 8, color: '#fff', weight: 2, fillColor: kindColour('problem_report'), fillOpacity: 1, className: 'rw-problem-marker',
  })
    .bindTooltip(TEXT.categories[marker.problem.category] || marker.problem.category)
    .addTo(markerLayer);
}

// --- screen wake lock ---------------------------------------------------------------------------
let wakeLock = null;
async function keepAwake(wanted) {
  const box = $('wake-status');
  if (!wanted) {
    if (wakeLock) await wakeLock.release().catch(() => {});
    wakeLock = null;
    box.hidden = true;
    return;
  }
  if (wakeLock && wakeLock.released === false) return;
  try {
    wakeLock = await navigator.wakeLock.request('screen');
    // Battery saver may release it without the page being hidden: ask again while recording.
    wakeLock.addEventListener('release', () => {
      if (recorder.state === 'recording' && document.visibilityState === 'visible') setTimeout(() => keepAwake(true), 1000);
    });
    box.textContent = t('wake_on');
  } catch (_) {
    wakeLock = null;
    box.textContent = t('wake_off');
  }
  box.hidden = false;
}
// The system releases the lock whenever the page is hidden; ask again on return.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && recorder.state === 'recording') keepAwake(true);
});

// --- recorder -----------------------------------------------------------------------------------
function storageFailed(error) {
  toast(t('storage_failed', { reason: error && error.message ? error.message : String(error) }), { error: true });
}

const recorder = new Recorder({
  onFix: (fix, { newSegment }) => { drawFix(fix, newSegment); render(); },
  onGps: ({ state, accuracy, position }) => {
    const box = $('gps-status');
    box.dataset.state = state;
    if (state === 'ok') box.textContent = t('gps_ok', { m: Math.round(accuracy) });
    else if (state === 'poor') box.textContent = t('gps_poor', { m: Math.round(accuracy) });
    else box.textContent = t(`gps_${state}`);
    if (position) drawPosition(position);
  },
  onChange: () => render(),
  onStorageError: storageFailed,
});

function render() {
  const state = recorder.state;
  $('patrol-state').dataset.state = state;
  $('patrol-state').textContent = t(`patrol_${state}`);
  $('patrol-distance').textContent = (recorder.distanceM() / 1000).toFixed(2);
  $('patrol-distance').dataset.fixes = recorder.fixes.length;  // for tests and the curious
  $('patrol-duration').textContent = clock(recorder.activeMs());
  $('patrol-segments').textContent = recorder.fixes.length ? t('segments', { n: recorder.segmentCount() }) : '—';
  $('patrol-start').hidden = state !== 'idle';
  $('patrol-pause').hidden = state === 'idle';
  $('patrol-pause').textContent = state === 'paused' ? t('resume') : t('pause');
  $('patrol-stop').hidden = state === 'idle';
  $('patrol-extras').classList.toggle('disabled', state === 'idle');
  document.body.dataset.patrolState = state;
  const patrol = recorder.patrol;
  const dropped = patrol ? patrol.dropped : 0;
  $('dropped-status').hidden = !dropped;
  $('dropped-status').textContent = t('dropped_fixes', { n: dropped });
  if (patrol) {
    const parts = [];
    if (patrol.photo_count) parts.push(t('photos_count', { n: patrol.photo_count }));
    if (patrol.markers.length) parts.push(t('problems_count', { n: patrol.markers.length }));
    if (patrol.notes.length) parts.push(t('notes_count', { n: patrol.notes.length }));
    $('patrol-extras-summary').textContent = parts.join(' · ');
  } else {
    $('patrol-extras-summary').textContent = '';
  }
}
setInterval(() => { if (recorder.state === 'recording') $('patrol-duration').textContent = clock(recorder.activeMs()); }, 1000);

// --- companions -----------------------------------------------------------------------------------
let chosenCompanions = () => [];

// --- controls -------------------------------------------------------------------------------------
let busy = false;
async function guarded(work) {
  if (busy) return;  // a second tap while the first is still being saved does nothing
  busy = true;
  try { await work(); } catch (error) { storageFailed(error); } finally { busy = false; render(); }
}

$('patrol-start').addEventListener('click', () => guarded(async () => {
  try {
    // Never waits on the network: on the first visit the owner is filled in when the server answers.
    await recorder.start({ uuid: uuid4(), owner: await knownUserId({ wait: false }), companions: chosenCompanions() });
    if (recorder.patrol.owner === null) {
      loadMe().then((me) => { if (me.data && recorder.patrol && recorder.patrol.owner === null) recorder.update({ owner: me.data.user.id }); });
    }
  } catch (error) {
    if (!(error instanceof PatrolInProgress)) throw error;
    window.location.reload();  // another tab started one meanwhile: show that one
    return;
  }
  keepAwake(true);
}));

$('patrol-pause').addEventListener('click', () => guarded(async () => {
  if (recorder.state === 'recording') {
    await recorder.pause();  // the GPS stays on, to show where I am, but nothing is recorded
    keepAwake(false);
  } else {
    await recorder.resume();
    keepAwake(true);
  }
}));

$('patrol-stop').addEventListener('click', () => guarded(async () => {
  const km = (recorder.distanceM() / 1000).toFixed(2);
  const minutes = Math.round(recorder.activeMs() / 60000);
  const body = el('div', {}, el('p', {}, t('stop_body', { km, minutes })));
  if (recorder.fixes.length < 2) body.append(el('p', { class: 'muted small' }, t('short_track')));
  const choice = await sheet({
    title: t('stop_title'), body,
    actions: [{ label: t('stop_continue'), value: 'continue', kind: 'ghost' }, { label: t('stop_save'), value: 'save', kind: 'primary' }],
  });
  if (choice.value !== 'save' || recorder.state === 'idle') return;
  await finish();
}));

// Queues the open patrol (this user's, or one a previous user of this phone left open) and clears it
// in the same transaction: it is never both in progress and queued, nor neither.
async function queuePatrol(rec) {
  const patrol = rec.patrol;
  const body = rec.body({ stoppedAt: Date.now(), isoLocal });
  const markerUuids = new Set((body.problems || []).map((problem) => problem.client_uuid));
  const photos = await store.photosOf(patrol.uuid);
  await outbox.enqueue({
    uuid: patrol.uuid, owner: patrol.owner, kind: 'patrol', title: TEXT.kinds.patrol,
    summary: { distance_km: Number((rec.distanceM() / 1000).toFixed(2)), minutes: Math.round(rec.activeMs() / 60000) },
    body,
    // A photo whose marker never got saved (the tab died in between) stays with the patrol.
    photos: photos.map(({ id, blob, name, problem }) => ({
      id, blob, name, problem: markerUuids.has(problem) ? problem : null, uploaded: false, error: '',
    })),
  }, {
    extraStores: ['patrol', 'fixes', 'photos'],
    extra: async (stores) => {
      stores.patrol.delete('current');
      await store.deleteByIndex(stores.fixes, 'patrol', patrol.uuid);
      await store.deleteByIndex(stores.photos, 'record', patrol.uuid);
    },
  });
}

async function finish() {
  const uuid = recorder.patrol.uuid;
  if (recorder.state === 'recording') await recorder.pause();
  keepAwake(false);
  await queuePatrol(recorder);
  recorder.reset();
  trackLayer.clearLayers();
  markerLayer.clearLayers();
  currentLine = null;
  render();
  // Not awaited: the next patrol can start while this one uploads.
  syncNow().then(async () => {
    const item = await store.get('outbox', uuid);
    toast(item && item.status === 'sent' ? t('saved_sent') : t('saved_offline'));
  });
}

// --- photo, note, problem marker during the patrol ----------------------------------------------
async function storePhoto(file, problem = null) {
  const prepared = await preparePhoto(file);
  const photo = { id: uuid4(), record: recorder.patrol.uuid, problem, blob: prepared.blob, name: prepared.name, created: Date.now() };
  await store.put('photos', photo);
  await recorder.update({ photo_count: (recorder.patrol.photo_count || 0) + 1 });
  return photo;
}

$('patrol-photo').addEventListener('change', (event) => guarded(async () => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file || !recorder.patrol) return;
  try {
    await storePhoto(file);
    toast(t('photo_added', { n: recorder.patrol.photo_count }));
  } catch (error) {
    if (error instanceof PhotoError) toast(error.message, { error: true }); else throw error;
  }
}));

$('patrol-note').addEventListener('click', () => guarded(async () => {
  if (!recorder.patrol) return;
  const form = $('note-form').content.cloneNode(true);
  const choice = await sheet({
    title: t('note_title'), body: form,
    actions: [{ label: t('cancel'), value: 'cancel', kind: 'ghost' }, { label: t('confirm'), value: 'ok', kind: 'primary' }],
  });
  const text = choice.form.querySelector('textarea').value.trim();
  if (choice.value !== 'ok' || !text) return;
  const stamp = hourMinute(Date.now());
  await recorder.update({ notes: [...recorder.patrol.notes, { t: Date.now(), text: `${stamp} ${text}` }] });
  toast(t('note_added'));
}));

$('patrol-marker').addEventListener('click', () => guarded(async () => {
  if (!recorder.patrol) return;
  if (recorder.patrol.markers.length >= MARKERS_MAX) { toast(t('too_many_markers', { max: MARKERS_MAX }), { error: true }); return; }
  const position = recorder.position;
  const fresh = position && Date.now() - position.t < 60000 && position.accuracy <= CONFIG.gps_max_accuracy_m;
  if (!fresh) { toast(t('need_fix'), { error: true }); return; }
  const form = $('marker-form').content.cloneNode(true);
  const photoInput = form.querySelector('input[type=file]');
  const photoName = form.querySelector('.marker-photo-name');
  photoInput.addEventListener('change', () => { photoName.textContent = photoInput.files[0] ? photoInput.files[0].name : ''; });
  const choice = await sheet({
    title: t('marker_title'), body: form,
    actions: [{ label: t('cancel'), value: 'cancel', kind: 'ghost' }, { label: t('confirm'), value: 'ok', kind: 'primary' }],
  });
  if (choice.value !== 'ok') return;
  const category = (choice.form.querySelector('input[name=category]:checked') || {}).value;
  if (!category) { toast(t('need_category'), { error: true }); return; }
  const problem = {
    client_uuid: uuid4(), category, note: choice.form.querySelector('textarea').value.trim(),
    point: [position.lon, position.lat], observed_at: isoLocal(Date.now()),
  };
  const file = photoInput.files[0];
  if (file) {
    try { await storePhoto(file, problem.client_uuid); } catch (error) {
      if (error instanceof PhotoError) toast(error.message, { error: true }); else throw error;
    }
  }
  const marker = { problem };
  await recorder.update({ markers: [...recorder.patrol.markers, marker] });
  drawMarker(marker);
  toast(t('marker_added'));
}));

// --- start up -------------------------------------------------------------------------------------
// One tab records; another tab on this screen (a second window, the app shortcut) would write over it.
function claimRecorder() {
  if (!navigator.locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    navigator.locks.request('rw-recorder', { ifAvailable: true }, (lock) => {
      resolve(Boolean(lock));
      return lock ? new Promise(() => {}) : null;  // held for as long as this page lives
    });
  });
}

(async () => {
  if (!(await claimRecorder())) {
    banner(t('other_tab'));
    document.body.dataset.patrolState = 'elsewhere';
    $('patrol-start').disabled = true;
    // When the other tab closes, this one takes over.
    navigator.locks.request('rw-recorder', () => window.location.reload());
    return;
  }
  // From IndexedDB only, never waiting on the network: on one bar, a reload must be recording again
  // at once.
  const owner = await knownUserId({ wait: false });
  let patrol = await recorder.load();
  if (patrol && owner !== null && patrol.owner !== null && patrol.owner !== owner) {
    // Left open by the previous user of this phone: queued under their name, sent when they sign in.
    await queuePatrol(recorder);
    recorder.reset();
    banner(t('previous_user_patrol'));
    patrol = null;
  }
  if (patrol) {
    let previous = null;
    for (const fix of recorder.fixes) { drawFix(fix, !previous || previous.seg !== fix.seg); previous = fix; }
    patrol.markers.forEach(drawMarker);
    if (recorder.fixes.length) map.fitBounds(trackLayer.getBounds(), { maxZoom: 17 });
    banner(t('resumed', { time: hourMinute(patrol.started_at) }));
    if (patrol.state === 'recording') keepAwake(true);
  }
  recorder.watch();  // carry on recording, or just show where I am
  render();
  chosenCompanions = await companionPicker($('companion-list'), $('companions-count'), {
    chosen: patrol ? patrol.companions : [],
    onChange: (ids) => { if (recorder.patrol) recorder.update({ companions: ids }); },
  });
})();
