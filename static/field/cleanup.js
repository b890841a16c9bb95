// Log a cleanup (or a sewer-network inspection, publicity, other service): place, times, figures,
// photos and companions, queued on the phone and sent when there is signal.
import { CONFIG, TEXT, companionPicker, isoLocal, knownUserId, t } from './common.js';
import { placeForm, submitOnce } from './formkit.js';

const $ = (id) => document.getElementById(id);
const form = $('cleanup-form');
const { location, draft, photos, restore } = placeForm(form);
let companions = () => [];
companionPicker($('companion-list'), $('companions-count')).then((picker) => { companions = picker; });

// datetime-local wants local time without an offset.
function localInput(ms) {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return date.toISOString().slice(0, 16);
}
function resetTimes() {
  const now = Date.now();
  $('ended').value = localInput(now);
  $('started').value = localInput(now - 3600 * 1000);
}

function showKindFields() {
  const kind = form.elements.kind.value;
  document.querySelectorAll('.figures').forEach((block) => { block.hidden = block.dataset.kinds !== kind; });
}
form.querySelectorAll('input[name=kind]').forEach((radio) => radio.addEventListener('change', showKindFields));

// A form left half-filled (the tab was killed while the camera was open) comes back as it was.
restore(resetTimes).then(showKindFields);

function number(id) {
  const value = $(id).value.trim();
  return value === '' ? null : Number(value);
}

submitOnce(form, $('submit'), $('form-error'), draft, async (uuid) => {
  const started = new Date($('started').value).getTime();
  const ended = new Date($('ended').value).getTime();
  if (!(ended > started)) throw new Error(t('bad_times'));
  if (ended - started > CONFIG.activity_max_hours * 3600 * 1000) throw new Error(t('too_long', { hours: CONFIG.activity_max_hours }));
  if (ended > Date.now() + 5 * 60 * 1000) throw new Error(t('future_time'));
  const kind = form.elements.kind.value;
  const figures = {};
  if (kind === 'cleanup') {
    if (number('debris-kg') !== null) figures.debris_kg = number('debris-kg');
    if (number('bags') !== null) figures.bags = number('bags');
  } else if (kind === 'sewer_inspection') {
    if (number('manholes') !== null) figures.manholes_checked = number('manholes');
    if (number('outfalls') !== null) figures.outfalls_checked = number('outfalls');
    if ($('findings').value.trim()) figures.findings = $('findings').value.trim();
  }
  const body = {
    client_uuid: uuid, kind, started_at: isoLocal(started), ended_at: isoLocal(ended),
    participants: companions(), figures, notes: $('notes').value.trim(),
  };
  if (location.value) {
    body.point = [location.value.lon, location.value.lat];
    body.location_source = location.value.source;
  }
  return {
    uuid, owner: await knownUserId(), kind, title: TEXT.kinds[kind],
    summary: { debris_kg: figures.debris_kg ?? null, bags: figures.bags ?? null },
    body,
    photos: photos.photos.map(({ id, blob, name }) => ({ id, blob, name, problem: null, uploaded: false, error: '' })),
  };
}, {
  onQueued: () => {
    photos.forget();
    ['debris-kg', 'bags', 'manholes', 'outfalls', 'findings', 'notes'].forEach((id) => { $(id).value = ''; });
    resetTimes();
  },
});
