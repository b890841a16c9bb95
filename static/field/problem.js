// Report a problem: category, photo, location, note. Sent as an activity of kind "problem_report", whose
// problem the server puts on the problem list. Before it is queued, when there is signal, the phone asks
// whether the same kind of problem is already open nearby, and the person may decide not to send.
import { CONFIG, TEXT, el, isoLocal, knownUserId, sheet, t, uuid4 } from './common.js';
import { placeForm, submitOnce } from './formkit.js';
import * as store from './store.js';
import { fetchJSON } from '../js/util.js';

const $ = (id) => document.getElementById(id);
const form = $('problem-form');
const { location, draft, photos, restore } = placeForm(form);
restore();

// One bar of signal: a question the server does not answer quickly is not asked at all.
const DUPLICATE_TIMEOUT_MS = 4000;

// Open problems of this category near this point (the server's rule: problems.selectors.possible_duplicates;
// their details only where this login may read them). No signal, a slow or refused answer: none,
// silently; the office still sees duplicates on its side.
async function nearbyDuplicates(category, [lon, lat]) {
  if (!navigator.onLine || !CONFIG.urls.problem_duplicates) return [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), DUPLICATE_TIMEOUT_MS);
  try {
    const query = new URLSearchParams({ category, lon: lon.toFixed(6), lat: lat.toFixed(6) });
    const rows = await fetchJSON(`${CONFIG.urls.problem_duplicates}?${query}`, { signal: controller.signal });
    return Array.isArray(rows) ? rows : [];
  } catch (_) {
    return [];
  } finally {
    clearTimeout(timer);
  }
}

function day(iso) {
  return new Date(iso).toLocaleDateString('zh-CN', { month: 'numeric', day: 'numeric', timeZone: CONFIG.time_zone });
}

// Resolves with 'send', 'skip' (already reported: do not send) or null (the sheet was closed: decide later).
async function askAboutDuplicates(rows) {
  const list = el('ul', { class: 'duplicate-list' }, rows.map((row) => el('li', { 'data-id': row.id },
    t('duplicate_row', {
      id: row.id, category: row.category_display, state: row.state_display, day: day(row.observed_on),
      metres: Math.round(row.distance_m),
    }),
    row.waterway_name ? el('small', { class: 'muted' }, ` · ${row.waterway_name}`) : null)));
  const choice = await sheet({
    title: t('duplicate_title', { days: CONFIG.duplicate_days }),
    body: el('div', {}, el('p', {}, t('duplicate_body', { metres: Math.round(CONFIG.duplicate_distance_m) })), list),
    actions: [{ label: t('duplicate_skip'), value: 'skip', kind: 'ghost' }, { label: t('duplicate_send'), value: 'send' }],
  });
  return choice.value === 'send' || choice.value === 'skip' ? choice.value : null;
}

function clearForm() {
  photos.forget();
  form.querySelectorAll('input[name=category]').forEach((radio) => { radio.checked = false; });
  $('note').value = '';
}

// Not sent, as the person chose: the draft and its photos go, and the screen says why.
async function dropAsReported(existing) {
  clearTimeout(draft.timer);
  await store.transaction(['cache', 'photos'], 'readwrite', (stores) => draft.clearIn(stores));
  clearForm();
  form.hidden = true;
  $('done-card').hidden = false;
  $('done-text').replaceChildren(t('duplicate_skipped', { id: existing.id }), ' ',
    existing.url ? el('a', { href: existing.url }, t('details')) : null);
  window.scrollTo(0, 0);
}

submitOnce(form, $('submit'), $('form-error'), draft, async (uuid) => {
  const category = (form.querySelector('input[name=category]:checked') || {}).value;
  if (!category) throw new Error(t('need_category'));
  if (!location.value) throw new Error(t('need_location'));
  const point = [location.value.lon, location.value.lat];
  const candidates = await nearbyDuplicates(category, point);
  if (candidates.length) {
    const choice = await askAboutDuplicates(candidates);
    if (choice === 'skip') await dropAsReported(candidates[0]);
    if (choice !== 'send') return null;
  }
  const now = Date.now();
  const problemUuid = uuid4();
  const problem = { client_uuid: problemUuid, category, note: $('note').value.trim(), point, observed_at: isoLocal(now) };
  return {
    uuid, owner: await knownUserId(), kind: 'problem_report', title: TEXT.categories[category],
    summary: { category },
    body: {
      client_uuid: uuid, kind: 'problem_report', started_at: isoLocal(now), ended_at: isoLocal(now),
      point, location_source: location.value.source, problems: [problem],
    },
    photos: photos.photos.map(({ id, blob, name }) => ({ id, blob, name, problem: problemUuid, uploaded: false, error: '' })),
  };
}, {
  onQueued: clearForm,
});
