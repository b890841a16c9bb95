// My history: what waits on this phone (with its state and the server's reason when refused), and what
// the server has, with its review status.
import { CONFIG, TEXT, knownUserId, el, fetchCached, shortTime, sheet, start, syncNow, t } from './common.js';
import * as outbox from './outbox.js';
import { revealInvisibleNodes } from '../js/util.js';

start();

const $ = (id) => document.getElementById(id);

function itemSummary(item) {
  const parts = [];
  const summary = item.summary || {};
  if (summary.distance_km !== undefined && summary.distance_km !== null) parts.push(`${summary.distance_km} ${t('km')}`);
  if (summary.minutes) parts.push(`${summary.minutes} ${t('minutes')}`);
  if (summary.debris_kg) parts.push(`${summary.debris_kg} ${t('kg')}`);
  if (summary.bags) parts.push(`${summary.bags} ${t('bags')}`);
  if (item.photos && item.photos.length) parts.push(t('photos_count', { n: item.photos.length }));
  const waiting = (item.photos || []).filter((photo) => !photo.uploaded && !photo.error).length;
  if (item.server_id && waiting) parts.push(t('photos_pending', { n: waiting }));
  return parts.join(' · ');
}

function download(item) {
  const blob = new Blob([JSON.stringify(item.body, null, 1)], { type: 'application/json' });
  const link = el('a', { href: URL.createObjectURL(blob), download: `riverwatch-${item.kind}-${item.uuid}.json` });
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

async function renderQueue() {
  const items = (await outbox.list(await knownUserId())).filter((item) => item.status !== 'sent' || Date.now() - item.sent_at < 24 * 3600 * 1000);
  $('queue-empty').hidden = items.length > 0;
  $('queue-list').replaceChildren(...items.map((item) => {
    const actions = [];
    if (item.status !== 'sent') {
      actions.push(el('button', { type: 'button', class: 'button small', onclick: () => syncNow({ manual: true }) }, t('retry')));
    }
    if (item.status === 'failed' && item.body) {
      // Whatever the server says, the record is not lost: it can be saved as a file for the office.
      actions.push(el('button', { type: 'button', class: 'button small ghost', onclick: () => download(item) }, t('download')));
    }
    if (item.status === 'failed' || (item.status === 'waiting' && !item.server_id)) {
      actions.push(el('button', {
        type: 'button', class: 'button small ghost danger',
        onclick: async () => {
          const choice = await sheet({ title: t('delete'), body: t('confirm_delete'), actions: [
            { label: t('cancel'), value: 'cancel', kind: 'ghost' }, { label: t('delete'), value: 'delete', kind: 'danger' }] });
          if (choice.value === 'delete') await outbox.discard(item.uuid);
        },
      }, t('delete')));
    }
    // A move on a problem links to the problem; everything else to its activity.
    const page = item.kind === 'problem_move' ? CONFIG.urls.problem : CONFIG.urls.activity;
    const link = item.server_id ? el('a', { href: page.replace('/0/', `/${item.server_id}/`) }, t('view')) : null;
    return el('li', { class: `record queued status-${item.status}`, 'data-uuid': item.uuid },
      el('div', { class: 'record-head' },
        el('strong', {}, item.title || TEXT.kinds[item.kind] || item.kind),
        el('span', { class: `badge status-${item.status}` }, t(`status_${item.status}`))),
      el('div', { class: 'record-meta muted small' }, shortTime(item.created_at), ' ', itemSummary(item)),
      item.error ? el('p', { class: 'record-error small' }, item.error) : null,
      item.needs_login ? el('a', { href: `${CONFIG.urls.login}?next=${encodeURIComponent(location.pathname)}` }, t('login_link')) : null,
      actions.length || link ? el('div', { class: 'record-actions' }, ...actions, link) : null);
  }));
}

async function renderHistory() {
  const result = await fetchCached('history', CONFIG.urls.history);
  const rows = (result.data && result.data.results) || [];
  $('history-source').textContent = result.stale ? (result.data ? t('history_offline') : t('history_load_failed')) : '';
  $('history-empty').hidden = rows.length > 0 || (result.stale && !result.data);
  $('history-list').replaceChildren(...rows.map((row) => {
    const parts = [];
    if (row.distance_m) parts.push(`${(row.distance_m / 1000).toFixed(2)} ${t('km')}`);
    if (row.waterway_name) parts.push(row.waterway_name);
    if (row.debris_kg) parts.push(`${row.debris_kg} ${t('kg')}`);
    if (row.problem_count) parts.push(t('problems_count', { n: row.problem_count }));
    if (row.photo_count) parts.push(t('photos_count', { n: row.photo_count }));
    return el('li', { class: `record status-${row.status}`, 'data-uuid': row.client_uuid },
      el('div', { class: 'record-head' },
        el('a', { href: CONFIG.urls.activity.replace('/0/', `/${row.id}/`) }, el('strong', {}, row.kind_display)),
        el('span', { class: `badge review-${row.status}` }, row.status_display)),
      el('div', { class: 'record-meta muted small' }, shortTime(Date.parse(row.started_at)), ' ', parts.join(' · ')),
      row.review_note ? el('p', { class: 'small' }, revealInvisibleNodes(t('review_note', { note: row.review_note }))) : null);
  }));
}

$('sync-now').addEventListener('click', async () => {
  $('sync-now').disabled = true;
  await syncNow({ manual: true });
  $('sync-now').disabled = false;
  renderHistory();
});

let lastSent = null;
outbox.onChange(async () => {
  await renderQueue();
  // When something has just reached the server, its history row is there too.
  const sent = (await outbox.list(await knownUserId())).filter((item) => item.status === 'sent').length;
  if (lastSent !== null && sent !== lastSent) renderHistory();
  lastSent = sent;
});
renderQueue();
renderHistory();
