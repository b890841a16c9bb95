// Home: who I am, today's status, what waits to be sent, my service records and my points.
import { revealInvisibleNodes } from '../js/util.js';
import { CONFIG, clock, daysLeft, el, knownUserId, fetchCached, loadMe, shortTime, start, syncNow, t } from './common.js';
import * as outbox from './outbox.js';
import * as store from './store.js';

start();

const $ = (id) => document.getElementById(id);
const ENTRIES_SHOWN = 5;  // the home screen's short list; the statement page has them all

// This year's records and my balance, each from its own answer, in one line under my name.
const mini = { year: null, points: null };
function showMiniStats() {
  if (mini.year === null) return;
  $('mini-stats').textContent = t('mini_stats', { year: mini.year, points: mini.points ?? '—' });
  $('mini-stats').hidden = false;
}

async function showQueue() {
  const counts = await outbox.counts(await knownUserId());
  const parts = [];
  if (counts.waiting || counts.sending) parts.push(t('queue_waiting', { n: counts.waiting + counts.sending }));
  if (counts.failed) parts.push(t('queue_failed', { n: counts.failed }));
  $('queue-summary').textContent = parts.length ? parts.join('，') : t('queue_clear');
  $('queue-card').dataset.state = counts.failed ? 'failed' : (counts.waiting || counts.sending) ? 'waiting' : 'clear';
}

async function showRunningPatrol() {
  const patrol = await store.get('patrol', 'current');
  const link = $('running-patrol');
  if (!patrol) { link.hidden = true; return; }
  const active = patrol.active_ms + (patrol.state === 'recording' ? Date.now() - patrol.resumed_at : 0);
  link.textContent = `${t('patrol_running', { minutes: Math.floor(active / 60000) })} · ${t('continue_patrol')} ›`;
  link.title = clock(active);
  link.hidden = false;
}

async function showMe() {
  const result = await loadMe();
  const me = result.data;
  if (!me) {
    $('who').textContent = t('me_unknown');
    $('today').textContent = '';
    return;
  }
  const person = me.person;
  $('who').textContent = person ? `${person.name}（${person.role_display}${person.level_display ? ' · ' + person.level_display : ''}）` : me.user.display_name;
  $('today').textContent = me.today.activities ? t('today_summary', { n: me.today.activities, km: me.today.distance_km }) : t('today_none');
  const records = me.service_records;
  $('stat-year').textContent = records ? records.year : '—';
  $('stat-total').textContent = records ? records.total : '—';
  $('stat-hours').textContent = records ? `${records.hours}` : '—';
  showDistrict(me.district);
  $('me-source').textContent = result.stale ? t('me_offline') : '';
  if (records) {
    mini.year = records.year;
    showMiniStats();
  }
}

// 12 → "12", 2.5 → "2.5"; signed for a ledger line.
function points(value, { signed = false } = {}) {
  const text = Number(value).toLocaleString('zh-CN', { maximumFractionDigits: 1 });
  return signed && value > 0 ? `+${text}` : text;
}

// My points (/api/points/me/), or the copy kept from the last time there was signal.
async function showPoints() {
  const result = await fetchCached('points', CONFIG.urls.points);
  const data = result.data;
  $('points-source').textContent = result.stale && data ? t('points_offline') : '';
  if (!data) {
    $('points-note').textContent = t('points_load_failed');
    return;
  }
  const hasPerson = data.balance !== null && data.balance !== undefined;
  $('points-balance').textContent = hasPerson ? points(data.balance) : '—';
  const pending = hasPerson && data.pending ? data.pending.total : 0;
  $('points-pending').textContent = t('points_pending', { n: points(pending) });
  $('points-pending').hidden = !pending;
  $('points-totals').textContent = hasPerson ? t('points_totals', { earned: points(data.earned), redeemed: points(data.redeemed) }) : '';
  $('points-totals').hidden = !hasPerson || !data.entries.length;
  $('points-note').textContent = data.note || (hasPerson && !data.entries.length ? t('points_none') : '');
  $('points-entries').replaceChildren(...data.entries.slice(0, ENTRIES_SHOWN).map((entry) => el('li', {},
    el('span', { class: `amount ${entry.amount < 0 ? 'minus' : 'plus'}` }, points(entry.amount, { signed: true })),
    el('span', { class: 'reason' }, revealInvisibleNodes(entry.reason),
      el('small', {}, `${shortTime(Date.parse(entry.at))} · ${entry.kind_display}`)))));
  $('points-rule-list').replaceChildren(...data.rules.map((rule) => el('li', {}, rule)));
  $('points-rules').hidden = !data.rules.length;
  $('points-statement').hidden = !hasPerson;
  mini.points = hasPerson ? points(data.balance) : null;
  showMiniStats();
}

// The campaign running today, with its bar; between campaigns, this year's count and the last
// campaign's result; with none ever set, that the office has not set one.
function showDistrict(district) {
  // A copy kept offline from before campaigns were data has no `running`: it was a running one.
  if (district.running === undefined) district = { ...district, running: true };
  const bar = $('district-bar');
  bar.hidden = !district.running;
  if (district.running) {
    $('district-line').textContent = t('district_running', { count: district.count, target: district.target });
    bar.max = district.target;
    bar.value = Math.min(district.count, district.target);
  } else {
    $('district-line').textContent = t('district_year', { year: district.year, n: district.year_count });
  }
  const last = $('district-last');
  last.hidden = district.running;
  last.textContent = district.campaign
    ? t('district_last', { name: district.campaign, count: district.count, target: district.target, percent: district.percent })
    : t('district_none');
  $('district-definition').textContent = district.definition;
}

// My tasks: how many, and how many overdue (the badge turns red); the copy kept offline when there is no signal.
async function showTasks() {
  const result = await fetchCached('tasks', CONFIG.urls.tasks);
  if (!Array.isArray(result.data)) return;
  const overdue = result.data.filter((task) => (daysLeft(task) ?? 0) < 0).length;
  const badge = $('task-count');
  badge.textContent = String(result.data.length);
  badge.hidden = result.data.length === 0;
  badge.classList.toggle('overdue', overdue > 0);
  $('task-summary').textContent = result.data.length
    ? (overdue ? t('tasks_count_overdue', { n: result.data.length, overdue }) : t('tasks_count', { n: result.data.length }))
    : t('tasks_none');
}

$('sync-now').addEventListener('click', async () => {
  $('sync-now').disabled = true;
  await syncNow({ manual: true });
  $('sync-now').disabled = false;
});

let installPrompt = null;
window.addEventListener('beforeinstallprompt', (event) => {
  event.preventDefault();
  installPrompt = event;
  $('install').hidden = false;
});
$('install').addEventListener('click', async () => {
  if (!installPrompt) return;
  installPrompt.prompt();
  installPrompt = null;
  $('install').hidden = true;
});

outbox.onChange(showQueue);
showQueue();
showRunningPatrol();
setInterval(showRunningPatrol, 30000);
showMe();
// Keep a copy of my history and teammates on the phone, so those screens have something to show
// when they are first opened with no signal.
// After loadMe, which clears a previous user's copies.
loadMe().then(() => {
  showTasks();
  showPoints();
  if (!navigator.onLine) return;
  fetchCached('history', CONFIG.urls.history);
  fetchCached('teammates', CONFIG.urls.teammates);
});
