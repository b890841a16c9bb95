// My tasks (我的待办): the problems waiting for me, from the problems API with a copy kept on the phone
// for when there is no signal, and the moves a unit member makes on them: start, and resolve with a note
// and photos. A move is queued in the outbox like every record (photos first, then the move) and sent
// when there is signal; until then the task says it waits.
import { CONFIG, TEXT, daysLeft, el, fetchCached, knownUserId, sheet, start, syncNow, t, toast, uuid4 } from './common.js';
import { fieldMap } from './fieldmap.js';
import { Draft, PhotoStrip } from './formkit.js';
import * as outbox from './outbox.js';
import { revealInvisibleNodes } from '../js/util.js';

start();

const $ = (id) => document.getElementById(id);
// The states each move starts from (problems/lifecycle.py); the server decides, this only picks buttons.
const FROM_STATES = { start: ['assigned'], resolve: ['assigned', 'in_progress'] };

let tasks = [];

async function load() {
  const result = await fetchCached('tasks', CONFIG.urls.tasks);
  tasks = Array.isArray(result.data) ? result.data : [];
  $('tasks-source').textContent = result.stale ? (result.data ? t('tasks_offline') : t('tasks_load_failed')) : '';
  $('tasks-empty').hidden = tasks.length > 0 || (result.stale && !result.data);
  document.body.dataset.tasks = result.stale ? 'cached' : 'fresh';  // for the browser tests
  await render();
}

// The moves still on this phone, by problem, newest first.
async function pendingMoves() {
  const byProblem = new Map();
  for (const item of await outbox.list(await knownUserId())) {
    if (item.kind !== 'problem_move' || item.status === 'sent') continue;
    if (!byProblem.has(item.problem)) byProblem.set(item.problem, []);
    byProblem.get(item.problem).push(item);
  }
  return byProblem;
}

function deadline(task) {
  const left = daysLeft(task);
  if (left === null) return null;
  if (left < 0) return el('span', { class: 'days overdue' }, t('days_overdue', { n: -left }));
  if (left === 0) return el('span', { class: 'days due-today' }, t('due_today'));
  return el('span', { class: 'days' }, t('days_left', { n: left }));
}

function pendingLine(item) {
  const action = TEXT.actions[item.summary.action] || item.summary.action;
  if (item.status === 'failed') {
    return el('p', { class: 'task-pending small status-failed' },
      el('span', { class: 'badge status-failed' }, t('failed_badge')), ' ',
      t('task_failed', { action, reason: item.error }), ' ',
      el('a', { href: CONFIG.urls.history_screen }, t('task_retry_hint')));
  }
  return el('p', { class: `task-pending small status-${item.status}` },
    el('span', { class: 'badge status-waiting' }, t('queued_badge')), ' ',
    t(item.status === 'sending' ? 'task_sending' : 'task_queued', { action }));
}

function taskItem(task, pending) {
  const queued = new Set(pending.map((item) => item.summary.action));
  const left = daysLeft(task);
  const buttons = [];
  if (FROM_STATES.start.includes(task.state) && !queued.has('start') && !queued.has('resolve')) {
    buttons.push(el('button', { type: 'button', class: 'button small', 'data-move': 'start',
      onclick: (event) => queueStart(task, event.currentTarget) }, TEXT.actions.start));
  }
  if (FROM_STATES.resolve.includes(task.state) && !queued.has('resolve')) {
    buttons.push(el('button', { type: 'button', class: 'button small', 'data-move': 'resolve',
      onclick: () => openResolve(task) }, TEXT.actions.resolve));
  }
  if (task.point) {
    buttons.push(el('button', { type: 'button', class: 'button small ghost', 'data-place': 'yes',
      onclick: () => showPlace(task) }, t('show_place')));
  }
  buttons.push(el('a', { class: 'button small ghost', href: CONFIG.urls.problem.replace('/0/', `/${task.id}/`) }, t('details')));
  return el('li', {
    class: ['task', task.supervised ? 'is-supervised' : '', left !== null && left < 0 ? 'is-overdue' : ''].join(' ').trim(),
    'data-id': task.id, 'data-state': task.state, 'data-pending': pending.length ? pending[0].status : null,
  },
  el('div', { class: 'task-head' },
    task.supervised ? el('span', { class: 'badge supervised' }, t('supervised')) : null,
    el('strong', { class: 'task-number' }, `#${task.id}`),
    el('span', { class: 'task-category' }, task.category_display),
    el('span', { class: `badge state state-${task.state}` }, task.state_display)),
  el('div', { class: 'task-meta small' },
    el('span', { class: 'task-waterway' }, task.waterway_name || t('no_place')), deadline(task)),
  task.note ? el('p', { class: 'task-note small muted' }, revealInvisibleNodes(task.note)) : null,
  pending.map(pendingLine),
  el('div', { class: 'record-actions task-actions' }, buttons));
}

let rendering = Promise.resolve();
function render() {
  // One at a time: the outbox changes several times while it sends.
  rendering = rendering.then(async () => {
    const pending = await pendingMoves();
    $('task-list').replaceChildren(...tasks.map((task) => taskItem(task, pending.get(task.id) || [])));
  }).catch((error) => console.warn('tasks', error));
  return rendering;
}

async function moveItem(task, action, note, photos, uuid) {
  return {
    uuid, owner: await knownUserId(), kind: 'problem_move', problem: task.id,
    title: `#${task.id} ${TEXT.actions[action]} · ${task.category_display}`,
    summary: { action, category: task.category },
    // client_uuid: the server makes a move with this key once, so a resend after a lost answer is safe.
    body: { action, note, client_uuid: uuid }, photos,
  };
}

async function queueStart(task, button) {
  button.disabled = true;  // a second tap finds nothing to press
  try {
    await outbox.enqueue(await moveItem(task, 'start', '', [], uuid4()));
  } catch (error) {
    button.disabled = false;
    toast(t('storage_failed', { reason: String(error) }), { error: true });
    return;
  }
  toast(t('start_queued'));
  syncNow();
}

// --- where the problem is: a small map in the bottom sheet, the network drawn from the offline copy ---
async function showPlace(task) {
  const box = el('div', { class: 'map task-map', 'data-tianditu-key': $('tasks-card').dataset.tiandituKey || '' });
  const closed = sheet({
    title: `#${task.id} ${task.category_display}`,
    body: el('div', {}, el('p', { class: 'small muted' }, task.waterway_name || t('no_place')), box),
    actions: [{ label: t('close'), value: 'close', kind: 'ghost' }],
  });
  const { map, ready } = fieldMap(box);
  const latlng = [task.point[1], task.point[0]];
  L.circleMarker(latlng, { radius: 9, color: '#fff', weight: 3, fillColor: '#e03131', fillOpacity: 1, className: 'rw-task-place' }).addTo(map);
  map.setView(latlng, 16, { animate: false });
  requestAnimationFrame(() => map.invalidateSize());
  ready.then(() => { box.dataset.ready = 'yes'; });
  await closed;
  map.remove();
}

// --- resolve: a note and photos, kept as a draft per task until queued ---
const form = $('resolve-form');
const draft = new Draft(form);
const photos = new PhotoStrip($('photo-strip'), $('photo-input'), draft);
let current = null;
let recordUuid = uuid4();
let saving = false;

async function openResolve(task) {
  current = task;
  draft.key = `draft:resolve:${task.id}`;  // the photo strip stores its photos under it too
  form.reset();
  photos.forget();
  await draft.restore();
  await photos.restore();
  $('resolve-title').textContent = t('resolve_title', { id: task.id, category: task.category_display });
  const left = daysLeft(task);
  $('resolve-place').textContent = [task.waterway_name || t('no_place'),
    left === null ? '' : left < 0 ? t('days_overdue', { n: -left }) : left === 0 ? t('due_today') : t('days_left', { n: left }),
  ].filter(Boolean).join(' · ');
  $('resolve-error').hidden = true;
  $('tasks-card').hidden = true;
  form.hidden = false;
  window.scrollTo(0, 0);
}

function closeResolve() {
  form.hidden = true;
  $('tasks-card').hidden = false;
  current = null;
}

$('resolve-cancel').addEventListener('click', async () => {
  await draft.save();  // kept for when the task is opened again
  closeResolve();
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (saving || form.hidden || !current) return;
  saving = true;
  $('resolve-submit').disabled = true;
  $('resolve-error').hidden = true;
  let queued = false;
  try {
    const note = $('resolve-note').value.trim();
    if (!note) throw new Error(t('need_note'));
    if (!photos.photos.length) throw new Error(t('need_photo'));
    clearTimeout(draft.timer);  // nothing may write the draft back once it is queued
    const item = await moveItem(current, 'resolve', note,
      photos.photos.map(({ id, blob, name }) => ({ id, blob, name, uploaded: false, error: '', server_id: null })), recordUuid);
    await outbox.enqueue(item, { extraStores: ['cache', 'photos'], extra: (stores) => draft.clearIn(stores) });
    recordUuid = uuid4();
    queued = true;
    photos.forget();
    form.reset();
    closeResolve();
    toast(t('saved_offline'));
  } catch (error) {
    $('resolve-error').textContent = error.message;
    $('resolve-error').hidden = false;
  } finally {
    saving = false;
    $('resolve-submit').disabled = false;
  }
  if (queued) syncNow();
});

$('sync-now').addEventListener('click', async () => {
  $('sync-now').disabled = true;
  await syncNow({ manual: true });
  $('sync-now').disabled = false;
  load();
});

// When a move has just reached the server, the list has changed there too.
async function sentMoves() {
  return (await outbox.list(await knownUserId())).filter((item) => item.kind === 'problem_move' && item.status === 'sent').length;
}
sentMoves().then((initial) => {
  let lastSent = initial;
  outbox.onChange(async () => {
    const sent = await sentMoves();
    const arrived = sent !== lastSent;
    lastSent = sent;
    if (arrived) await load(); else await render();
  });
});
load();
