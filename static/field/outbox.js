// The queue of records made on this phone. Each item carries the activity body (with its client_uuid)
// and its photos; it is sent until the server has it, and resent with the same uuid after any doubt:
// the server stores a uuid once, so a retry after a lost answer never makes a duplicate.
//
// Item: {uuid, owner, kind, title, body, photos: [{id, blob, name, problem, uploaded, error}],
//        status: waiting | sending | sent | failed, error, attempts, server_id, created_at, sent_at}
//
// A move on a problem (kind 'problem_move': a unit member starts or resolves a task) travels the same
// way, in the other order: its photos first, each to /api/problems/<id>/photos/ (the server keeps a
// photo once by its content, so a resent photo is not stored twice, and holds it for the next
// resolution), then the move itself to /api/problems/<id>/actions/, naming those photos (photo_ids)
// as its evidence. Extra fields: problem (its id), photos[].server_id. The move carries its
// client_uuid: sent again after a lost answer, the server finds the move it already made and answers
// as the first time.
import { responseError } from '../js/util.js';
import * as store from './store.js';
import { CONFIG, t } from './page.js';

const SENT_KEPT_MS = 7 * 24 * 3600 * 1000;  // sent items stay listed a week, then the server's list is enough
const channel = 'BroadcastChannel' in self ? new BroadcastChannel('rw-outbox') : null;
const listeners = new Set();

function changed() {
  listeners.forEach((listener) => listener());
  if (channel) channel.postMessage('changed');
}
if (channel) channel.onmessage = () => listeners.forEach((listener) => listener());

export function onChange(listener) { listeners.add(listener); }

function mine(item, owner) {
  return item.owner === null || item.owner === undefined || owner === null || item.owner === owner;
}

export async function list(owner) {
  const items = await store.getAll('outbox');
  return items.filter((item) => mine(item, owner)).sort((a, b) => b.created_at - a.created_at);
}

export async function counts(owner) {
  const result = { waiting: 0, sending: 0, failed: 0, sent: 0, needs_login: 0 };
  for (const item of await list(owner)) {
    result[item.status] = (result[item.status] || 0) + 1;
    if (item.needs_login && item.status !== 'sent') result.needs_login += 1;
  }
  return result;
}

// Adds a record once: a second tap on "submit" finds its uuid already queued and changes nothing.
// extra(stores) may write more in the same transaction (the patrol screen clears its state there),
// so a record is never both queued and still in progress, nor neither; it runs even when the record
// was already queued, so that clearing always happens.
export async function enqueue(item, { extraStores = [], extra = null } = {}) {
  const added = await store.transaction(['outbox', ...extraStores], 'readwrite', async (stores) => {
    const existing = await store.request(stores.outbox.get(item.uuid));
    if (!existing) {
      stores.outbox.add({
        status: 'waiting', error: '', attempts: 0, server_id: null, created_at: Date.now(), sent_at: null,
        photos: [], ...item,
      });
    }
    if (extra) await extra(stores);
    return !existing;
  });
  if (added) changed();
  return added;
}

export async function discard(uuid) {
  const item = await store.get('outbox', uuid);
  if (item && item.status !== 'sent' && item.status !== 'sending') {
    await store.remove('outbox', uuid);
    changed();
  }
}

// The server says nobody is signed in: what waits says so, and the app bar offers the login.
export async function markSignInNeeded(owner) {
  for (const item of await list(owner)) {
    if (item.status === 'waiting' && !item.needs_login) {
      item.needs_login = true;
      item.error = t('login_expired');
      await store.put('outbox', item);
    }
  }
  changed();
}

function csrfToken() {
  const name = CONFIG.csrf_cookie || 'csrftoken';
  const match = document.cookie.split('; ').find((row) => row.startsWith(`${name}=`));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : '';
}

// The server's reason, read as every page reads it; a refusal without a `detail` sentence (a field's
// validation errors) is shown as the JSON it is, cut short.
async function readError(response) {
  const { detail, code, body, status } = await responseError(response);
  if (detail) return { detail, code };
  return { detail: body !== null ? JSON.stringify(body).slice(0, 300) : `HTTP ${status}`, code };
}

// What to do with an answer that is not a success: wait and retry (network, server trouble, login
// lapsed) or give up with the server's own reason (the record itself was refused).
async function classify(response) {
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    return { outcome: 'wait', error: t('server_busy', { code: response.status }) };
  }
  const { detail, code } = await readError(response);
  if (code === 'sign_in_again' || response.status === 401) {
    return { outcome: 'wait', error: t('login_expired'), stop: true, login: true };
  }
  return { outcome: 'fail', error: detail };
}

async function save(item) {
  await store.put('outbox', item);
  changed();
}

// Gives up on a request that stalls (one bar of signal): a minute, plus a second per 20 KB sent.
async function post(url, body, headers, bytes) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 60000 + bytes / 20);
  try {
    return await fetch(url, {
      method: 'POST', credentials: 'same-origin', body, signal: controller.signal,
      headers: {
        Accept: 'application/json', 'X-CSRFToken': csrfToken(),
        'Accept-Language': document.documentElement.lang || 'zh-hans', ...headers,
      },
    });
  } finally {
    clearTimeout(timer);
  }
}

// A success is a 200/201 JSON answer from the API itself carrying the record's id; anything else
// (a login page after a redirect, a proxy's error page) is not.
async function storedId(response) {
  if ((response.status !== 200 && response.status !== 201) || response.redirected) return null;
  try {
    const data = await response.json();
    const id = data.id !== undefined ? data.id : data.properties && data.properties.id;
    return Number.isInteger(id) ? id : null;
  } catch (_) {
    return null;
  }
}

async function postActivity(item) {
  const json = JSON.stringify(item.body);
  // Only the id is kept: asking for the minimal answer spares the track coming back over a weak signal.
  const response = await post(CONFIG.urls.activities, json,
    { 'Content-Type': 'application/json', Prefer: 'return=minimal' }, json.length);
  const id = await storedId(response);
  if (id !== null) return { ok: true, id };
  if (response.ok) return { ok: false, outcome: 'wait', error: t('server_busy', { code: response.status }) };
  return { ok: false, ...(await classify(response)) };
}

async function postPhoto(item, photo) {
  const form = new FormData();
  form.append('photo', photo.blob, photo.name || 'photo.jpg');
  if (photo.problem) form.append('problem', photo.problem);
  const url = CONFIG.urls.photos.replace('/0/', `/${item.server_id}/`);
  const response = await post(url, form, {}, photo.blob.size);
  if ((await storedId(response)) !== null) return { ok: true };
  if (response.ok) return { ok: false, outcome: 'wait', error: t('server_busy', { code: response.status }) };
  return { ok: false, ...(await classify(response)) };
}

// --- moves on a problem --------------------------------------------------------------------------

const problemUrl = (template, id) => template.replace('/0/', `/${id}/`);

async function postProblemPhoto(item, photo) {
  const form = new FormData();
  form.append('photo', photo.blob, photo.name || 'photo.jpg');
  const response = await post(problemUrl(CONFIG.urls.problem_photos, item.problem), form, {}, photo.blob.size);
  const id = await storedId(response);
  if (id !== null) return { ok: true, id };
  if (response.ok) return { ok: false, outcome: 'wait', error: t('server_busy', { code: response.status }) };
  return { ok: false, ...(await classify(response)) };
}

async function sendMove(item) {
  for (const photo of item.photos) {
    if (photo.uploaded || !photo.blob) continue;
    const result = await postProblemPhoto(item, photo);
    if (result.ok) {
      photo.uploaded = true;
      photo.server_id = result.id;
      photo.error = '';
      photo.blob = null;  // the server has it; free the phone's storage
      await save(item);
      continue;
    }
    item.status = result.outcome === 'wait' ? 'waiting' : 'failed';
    item.needs_login = Boolean(result.login);
    if (result.outcome === 'wait') {
      item.error = result.error;
    } else {
      // A resolution is not sent without its evidence: the move waits for a person, its file is kept.
      photo.error = result.error;
      item.error = t('photo_failed', { reason: result.error });
    }
    await save(item);
    return result.stop ? 'stop' : 'next';
  }
  const photoIds = item.photos.map((photo) => photo.server_id).filter((id) => id);
  const json = JSON.stringify(photoIds.length ? { ...item.body, photo_ids: photoIds } : item.body);
  const response = await post(problemUrl(CONFIG.urls.problem_actions, item.problem), json,
    { 'Content-Type': 'application/json' }, json.length);
  if ((await storedId(response)) !== item.problem) {
    if (response.ok) {
      item.status = 'waiting';
      item.error = t('server_busy', { code: response.status });
      await save(item);
      return 'next';
    }
    const result = await classify(response);
    item.status = result.outcome === 'wait' ? 'waiting' : 'failed';
    item.error = result.error;
    item.needs_login = Boolean(result.login);
    await save(item);
    return result.stop ? 'stop' : 'next';
  }
  item.status = 'sent';
  item.server_id = item.problem;
  item.sent_at = Date.now();
  item.error = '';
  item.needs_login = false;
  item.body = null;
  await save(item);
  return 'next';
}

// Sends one item as far as it goes. Returns 'next' to go on with the queue, 'stop' when the rest
// should wait too (no network, login lapsed).
async function sendOne(queued) {
  // Re-read: the copy in hand may be older than a delete or a send in the meantime.
  const item = await store.get('outbox', queued.uuid);
  if (!item || item.status === 'sent') return 'next';
  if (item.status === 'failed') {
    // Tried again by hand: so are the photos the server refused (their files were kept).
    item.error = '';
    item.photos.forEach((photo) => { if (photo.blob) photo.error = ''; });
  }
  item.status = 'sending';
  item.attempts += 1;
  await save(item);
  try {
    if (item.kind === 'problem_move') return await sendMove(item);
    if (!item.server_id) {
      const result = await postActivity(item);
      if (!result.ok) {
        item.status = result.outcome === 'wait' ? 'waiting' : 'failed';
        item.error = result.error;
        item.needs_login = Boolean(result.login);
        await save(item);
        return result.stop ? 'stop' : 'next';
      }
      item.server_id = result.id;
      item.error = '';
      item.needs_login = false;
      await save(item);
    }
    for (const photo of item.photos) {
      if (photo.uploaded || photo.error || !photo.blob) continue;
      const result = await postPhoto(item, photo);
      if (result.ok) {
        photo.uploaded = true;
        photo.blob = null;  // the server has it; free the phone's storage
      } else if (result.outcome === 'wait') {
        item.status = 'waiting';
        item.error = result.error;
        item.needs_login = Boolean(result.login);
        await save(item);
        return result.stop ? 'stop' : 'next';
      } else {
        photo.error = result.error;  // a refused photo does not hold back the record; its file is kept
      }
      await save(item);
    }
    const refused = item.photos.filter((photo) => photo.error);
    item.status = refused.length ? 'failed' : 'sent';
    item.sent_at = Date.now();
    item.needs_login = false;
    item.error = refused.map((photo) => t('photo_failed', { reason: photo.error })).join('；');
    if (!refused.length) item.body = null;  // the server has it all; keep only the summary on the phone
    await save(item);
    return 'next';
  } catch (error) {
    item.status = 'waiting';
    if (error.name === 'AbortError') {
      // Stalled on a weak signal: let the smaller records behind it try.
      item.error = t('retry_later', { n: item.attempts });
      await save(item);
      return 'next';
    }
    if (error instanceof TypeError) {
      // No answer at all: offline, a dropped connection, or the answer was lost after the server
      // stored the record. Sending the same uuid again settles all three.
      item.error = t('retry_later', { n: item.attempts });
      await save(item);
      return 'stop';
    }
    // Something on the phone itself (an unreadable photo file): this record needs a person, the
    // others can go.
    item.status = 'failed';
    item.error = String(error.message || error);
    await save(item);
    return 'next';
  }
}

let running = null;

async function runSync(owner, { includeFailed }) {
  const items = (await list(owner)).filter((item) => item.status === 'waiting' || item.status === 'sending'
    || (includeFailed && item.status === 'failed')).reverse();  // oldest first
  for (const item of items) {
    if ((await sendOne(item)) === 'stop') break;
  }
  const now = Date.now();
  for (const item of await list(owner)) {
    if (item.status === 'sent' && now - item.sent_at > SENT_KEPT_MS) await store.remove('outbox', item.uuid);
  }
}

// One sender at a time, across tabs too: two senders could both post a record before either saw
// the other's answer (harmless on the server, but it doubles the traffic on one bar of signal).
export function sync(owner, { includeFailed = false } = {}) {
  // A "sync now" during an automatic run goes next, since only it retries refused records.
  if (running) return includeFailed ? running.then(() => sync(owner, { includeFailed })) : running;
  const work = () => runSync(owner, { includeFailed });
  const locked = navigator.locks
    ? navigator.locks.request('rw-outbox-sync', { ifAvailable: true }, (lock) => (lock ? work() : null))
    : work();
  running = Promise.resolve(locked).catch((error) => console.warn('sync', error)).finally(() => {
    running = null;
    changed();
  });
  return running;
}
