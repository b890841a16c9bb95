// What every phone screen shares: words and limits from the page, the service worker, the sync chip,
// the cached "me" and teammates, a bottom sheet and a toast.
import { fetchJSONResponse } from '../js/util.js';
import * as store from './store.js';
import * as outbox from './outbox.js';

import { CONFIG, TEXT, t } from './page.js';

export { CONFIG, TEXT, t };

// crypto.randomUUID needs a secure context; getRandomValues works everywhere.
export function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ISO 8601 with the phone's offset (the API refuses times without one).
export function isoLocal(ms) {
  const date = new Date(ms);
  const pad = (n, width = 2) => String(Math.abs(n)).padStart(width, '0');
  const offset = -date.getTimezoneOffset();
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
    + `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

export function clock(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

export function shortTime(ms) {
  return new Date(ms).toLocaleString('zh-CN', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: CONFIG.time_zone });
}

// Hours and minutes in the district's time (Beijing), whatever zone the phone is set to.
export function hourMinute(ms) {
  return new Date(ms).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit', timeZone: CONFIG.time_zone });
}

// Today in the district (Beijing), as YYYY-MM-DD.
export function districtToday(ms = Date.now()) {
  return new Date(ms).toLocaleDateString('sv-SE', { timeZone: CONFIG.time_zone });
}

// A task's calendar days to its deadline (negative: days overdue), counted from today rather than
// from when the list was fetched, so a copy kept offline for days still tells the truth; null when
// the server says the deadline no longer runs (none given, or already resolved).
export function daysLeft(task, ms = Date.now()) {
  if (task.days_left === null || task.days_left === undefined || !task.deadline) return null;
  return Math.round((Date.parse(task.deadline) - Date.parse(districtToday(ms))) / 86400000);
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

let toastTimer = null;
export function toast(message, { error = false } = {}) {
  const box = document.getElementById('toast');
  box.textContent = message;
  box.classList.toggle('error', error);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, error ? 8000 : 3500);
}

export function banner(message) {
  const box = document.getElementById('banner');
  box.textContent = message || '';
  box.hidden = !message;
}

// A bottom sheet instead of confirm()/prompt(): large buttons, and it does not block the GPS callbacks.
// actions: [{label, value, kind}]; resolves with the chosen value (or null) and the sheet's form.
export function sheet({ title, body, actions }) {
  const dialog = document.getElementById('sheet');
  dialog.querySelector('.sheet-title').textContent = title || '';
  const bodyBox = dialog.querySelector('.sheet-body');
  bodyBox.replaceChildren();
  if (typeof body === 'string') bodyBox.append(el('p', {}, body));
  else if (body) bodyBox.append(body);
  const actionBox = dialog.querySelector('.sheet-actions');
  actionBox.replaceChildren(...actions.map((action) => el('button', {
    type: 'submit', value: action.value, class: `button ${action.kind || ''}`,
  }, action.label)));
  return new Promise((resolve) => {
    dialog.onclose = () => resolve({ value: dialog.returnValue || null, form: dialog.querySelector('form') });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

// --- service worker -----------------------------------------------------------------------------
export async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return null;
  try {
    return await navigator.serviceWorker.register(CONFIG.urls.sw, { scope: CONFIG.urls.home });
  } catch (error) {
    console.warn('service worker', error);
    return null;
  }
}

// --- server data with an offline copy -------------------------------------------------------------
const FETCH_TIMEOUT_MS = 8000;  // one bar of signal: give up and show the copy rather than wait

// Fetches JSON and keeps a copy in IndexedDB; offline, slow, or on a server error the copy is returned
// with stale=true. A 401/403 means the login has lapsed: the copy is still shown. (A login page after
// a redirect is no JSON, so it is refused like an error.)
export async function fetchCached(key, url) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  let status = 0;
  try {
    const response = await fetchJSONResponse(url, { signal: controller.signal });
    status = response.status;
    const data = await response.json();
    await store.remember(key, data);
    return { data, stale: false, status };
  } catch (error) {
    // No answer (offline, too slow: no status) or a refusal (its status): the copy below.
    status = error.status || status;
  } finally {
    clearTimeout(timer);
  }
  const copy = await store.cached(key);
  return { data: copy && copy.data, stale: true, status };
}

// Who is signed in, asked afresh. Another person signing in on this phone clears their predecessor's
// cached lists.
async function freshMe() {
  const result = await fetchCached('me', CONFIG.urls.me);
  const previous = await store.cached('last-user');
  if (result.data && !result.stale) {
    if (previous && previous.data !== result.data.user.id) {
      await store.remove('cache', 'teammates');
      await store.remove('cache', 'history');
      await store.remove('cache', 'tasks');
      await store.remove('cache', 'points');
    }
    await store.remember('last-user', result.data.user.id);
  }
  return result;
}

let mePromise = null;
export function loadMe() {
  if (!mePromise) mePromise = freshMe();
  return mePromise;
}

// The user this phone last knew, from IndexedDB at once; asks the server only when it never knew
// (and wait is true). Used to label what is recorded, which must never wait on the network.
export async function knownUserId({ wait = true } = {}) {
  const known = await store.cached('last-user');
  if (known) return known.data;
  if (!wait) return null;
  const result = await loadMe();
  return result.data ? result.data.user.id : null;
}

// Teammates as check boxes; returns a function giving the chosen ids.
export async function companionPicker(container, counter, { chosen = [], onChange = null } = {}) {
  const result = await fetchCached('teammates', CONFIG.urls.teammates);
  const me = await store.cached('me');
  const myId = me && me.data && me.data.person ? me.data.person.id : null;
  const people = ((result.data && (result.data.results || result.data)) || []).filter((person) => person.id !== myId);
  const selected = new Set(chosen.map(Number));
  const update = () => { counter.textContent = selected.size ? `（${selected.size}）` : ''; };
  container.replaceChildren();
  if (result.stale && people.length) container.append(el('p', { class: 'muted small' }, t('teammates_offline')));
  if (!people.length) container.append(el('p', { class: 'muted small' }, t('no_teammates')));
  for (const person of people) {
    const box = el('input', { type: 'checkbox', value: person.id, checked: selected.has(person.id) });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(person.id); else selected.delete(person.id);
      update();
      if (onChange) onChange([...selected]);
    });
    container.append(el('label', { class: 'companion' }, box, el('span', {}, person.name),
      el('small', { class: 'muted' }, person.role_display)));
  }
  update();
  return () => [...selected];
}

// --- the sync chip in the app bar -----------------------------------------------------------------
async function refreshChip() {
  const chip = document.getElementById('sync-chip');
  if (!chip) return;
  const counts = await outbox.counts(await knownUserId({ wait: false }));
  let state = navigator.onLine ? 'online' : 'offline';
  let label = navigator.onLine ? t('online') : t('offline');
  if (counts.needs_login) { state = 'login'; label = t('login_needed'); } else if (counts.sending) {
    state = 'sending'; label = t('syncing');
  } else if (counts.failed) {
    state = 'failed'; label = t('queue_failed', { n: counts.failed });
  } else if (counts.waiting) { state = navigator.onLine ? 'waiting' : 'offline'; label = t('queue_waiting', { n: counts.waiting }); }
  chip.dataset.state = state;
  chip.querySelector('.label').textContent = label;
}

// manual: the user pressed "sync now", so records the server refused are tried once more too.
// Records are sent only as the user they were made by, and only when the server has just said who
// is signed in: a stale answer could credit one person's records to another.
export async function syncNow({ manual = false } = {}) {
  // Only a definite "no network" skips the attempt; onLine === true can be a lie on one bar.
  if (!manual && !navigator.onLine) return;
  const counts = await outbox.counts(await knownUserId({ wait: false }));
  if (!counts.waiting && !counts.sending && !(manual && counts.failed)) return;
  const me = await freshMe();
  if (me.stale) {
    if (me.status === 401 || me.status === 403) await outbox.markSignInNeeded(await knownUserId({ wait: false }));
    return;
  }
  await outbox.sync(me.data.user.id, { includeFailed: manual });
}

export function start({ ready = null } = {}) {
  const loaded = new Promise((resolve) => {
    if (document.readyState === 'complete') resolve();
    else window.addEventListener('load', resolve, { once: true });
  });
  Promise.allSettled([loaded, ready]).then(registerServiceWorker);
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  const chip = document.getElementById('sync-chip');
  chip.addEventListener('click', () => {
    if (chip.dataset.state === 'login') {
      window.location.href = `${CONFIG.urls.login}?next=${encodeURIComponent(window.location.pathname)}`;
    } else {
      syncNow({ manual: true });
    }
  });
  outbox.onChange(refreshChip);
  window.addEventListener('online', () => { refreshChip(); syncNow(); });
  window.addEventListener('offline', refreshChip);
  refreshChip();
  // On app start, then every minute while something waits: "online" does not fire when one bar of
  // signal comes and goes, so the queue also retries on its own.
  syncNow();
  setInterval(() => syncNow(), 60000);
}
