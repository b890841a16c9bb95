// The river-chief map: reaches coloured by days since the last patrol, the list of unpatrolled
// stretches, the period's tracks, activities and problems, and Gi* hotspots. Every layer reads the
// same filters from the side panel; the URL keeps them, so a view can be shared or bookmarked.
import { districtMap, getJSON, legendControl } from './basemap.js';

const element = document.getElementById('rc-map');
const statusBox = document.getElementById('map-status');
const text = JSON.parse(document.getElementById('map-text').textContent);
const config = JSON.parse(document.getElementById('map-config').textContent);
const form = document.getElementById('rc-filters');
const field = (id) => document.getElementById(id);

const { map, bases } = districtMap(element, text);

const FRESHNESS = {
  '0-7': { color: '#1a9641', label: '0–7' },
  '8-30': { color: '#a6d96a', label: '8–30' },
  '31-90': { color: '#fdae61', label: '31–90' },
  '90+': { color: '#d7191c', label: '90+' },
  never: { color: '#6b7280', label: '—', dashArray: '4 6' },
};
const HOTSPOT = {
  hot_99: '#b2182b', hot_95: '#ef8a62', hot_90: '#fddbc7',
  not_significant: null,
  cold_90: '#d1e5f0', cold_95: '#67a9cf', cold_99: '#2166ac',
  no_effort: null,
};
const KIND_COLOURS = {
  patrol: '#2563eb', cleanup: '#16a34a', sewer_inspection: '#9333ea',
  garbage_sorting: '#f59e0b', other: '#64748b', problem_report: '#dc2626',
};
const PROBLEM_COLOURS = { reported: '#dc2626', verified: '#7c2d12', invalid: '#9ca3af' };

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? '');
const km = (metres) => (metres / 1000).toFixed(metres < 10000 ? 2 : 1);

// --- Filters ------------------------------------------------------------------------------

function isoDay(date) {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

function applyPreset(preset) {
  const today = new Date(`${config.defaults.end}T12:00:00`);
  let start = new Date(today);
  let end = new Date(today);
  if (preset === 'year') start = new Date(today.getFullYear(), 0, 1, 12);
  else if (preset === 'last-year') {
    start = new Date(today.getFullYear() - 1, 0, 1, 12);
    end = new Date(today.getFullYear() - 1, 11, 31, 12);
  } else if (/^\d+$/.test(preset)) start.setDate(start.getDate() - Number(preset) + 1);
  else return;
  field('rc-start').value = isoDay(start);
  field('rc-end').value = isoDay(end);
}

function readURL() {
  const params = new URLSearchParams(window.location.search);
  field('rc-start').value = params.get('start') || config.defaults.start;
  field('rc-end').value = params.get('end') || config.defaults.end;
  field('rc-preset').value = params.has('start') ? 'custom' : 'year';
  const selects = { waterway: config.defaults.waterway, kind: '', role: '', team: '', days: String(config.defaults.days), measure: 'problems', method: 'hex' };
  for (const [name, fallback] of Object.entries(selects)) {
    const select = field(`rc-${name}`);
    const wanted = params.has(name) ? params.get(name) : fallback;
    if ([...select.options].some((option) => option.value === wanted)) select.value = wanted;
  }
  field('rc-normalize').checked = params.get('normalize') === 'effort';
}

// The filters every layer shares, as a query string.
function filterQuery() {
  const query = new URLSearchParams();
  query.set('start', field('rc-start').value);
  query.set('end', field('rc-end').value);
  for (const name of ['waterway', 'kind', 'role', 'team']) {
    const value = field(`rc-${name}`).value;
    if (value) query.set(name, value);
  }
  return query;
}

function withQuery(url, extra = {}) {
  const query = filterQuery();
  for (const [key, value] of Object.entries(extra)) query.set(key, value);
  return `${url}?${query}`;
}

function rememberInURL() {
  const query = filterQuery();
  query.set('days', field('rc-days').value);
  query.set('measure', field('rc-measure').value);
  query.set('method', field('rc-method').value);
  if (field('rc-normalize').checked) query.set('normalize', 'effort');
  window.history.replaceState(null, '', `${window.location.pathname}?${query}`);
}

// --- Layers -----------------------------------------------------------------------------

const overlays = {};
const freshnessLayer = L.featureGroup();
const gapHighlight = L.featureGroup().addTo(map);
const problemsLayer = L.featureGroup();
const hotspotLayer = L.featureGroup();
const heatLayer = L.featureGroup();
const activitiesLayer = L.featureGroup();
const tracksLayer = L.featureGroup();
const networkLayer = L.featureGroup();
// The coverage colours draw above the tracks (which run along the same rivers), and off by default:
// the colours already say where people walked; the tracks are there to check one.
map.createPane('coverage').style.zIndex = 450;
// A clicked gap glows under the coverage colours, so its own dashes stay readable.
map.createPane('highlight').style.zIndex = 440;
overlays[text.freshness] = freshnessLayer.addTo(map);
overlays[text.tracks] = tracksLayer;
overlays[text.activities] = activitiesLayer.addTo(map);
overlays[text.problems] = problemsLayer.addTo(map);
overlays[text.hotspots] = hotspotLayer;
overlays[text.heat] = heatLayer;

let freshnessClasses = [];

function freshnessPopup(p) {
  const when = p.days_since_visit === null ? text.never : fill(text.days_ago, { days: p.days_since_visit });
  return `<div class="popup"><h3>${escapeHtml(p.waterway_name)}</h3>
    <p>${escapeHtml(km(p.start_m))}–${escapeHtml(km(p.end_m))} ${escapeHtml(text.km)} · ${escapeHtml(text.last_visit)}：${escapeHtml(when)}</p></div>`;
}

async function loadFreshness() {
  const data = await getJSON(withQuery(config.urls.freshness));
  freshnessLayer.clearLayers();
  freshnessClasses = data.classes || [];
  L.geoJSON(data, {
    style: (feature) => {
      const style = FRESHNESS[feature.properties.class] || FRESHNESS.never;
      return { color: style.color, weight: 5, opacity: 0.95, dashArray: style.dashArray, className: `rc-fresh rc-fresh-${feature.properties.class}` };
    },
    pane: 'coverage',
    onEachFeature: (feature, layer) => layer.bindPopup(freshnessPopup(feature.properties)),
  }).addTo(freshnessLayer);
  element.dataset.freshnessRuns = String(data.features.length);
  updateLegend();
}

const gapLayers = [];
const GAP_LIST_LENGTH = 30;

function highlightGap(index) {
  const layer = gapLayers[index];
  if (!layer) return;
  gapHighlight.clearLayers();
  L.geoJSON(layer.toGeoJSON(), {
    style: { color: '#facc15', weight: 16, opacity: 0.75, className: 'rc-gap-highlight' }, interactive: false, pane: 'highlight',
  }).addTo(gapHighlight);
  map.fitBounds(layer.getBounds(), { padding: [40, 40], maxZoom: 16 });
  document.querySelectorAll('.rc-gap-list button').forEach((button) => button.classList.toggle('active', Number(button.dataset.index) === index));
}

async function loadGaps() {
  const data = await getJSON(withQuery(config.urls.gaps, { days: field('rc-days').value }));
  const list = field('rc-gap-list');
  const empty = field('rc-gaps-empty');
  list.replaceChildren();
  gapLayers.length = 0;
  gapHighlight.clearLayers();
  data.features.forEach((feature) => gapLayers.push(L.geoJSON(feature)));
  const total = data.features.reduce((sum, feature) => sum + feature.properties.length_m, 0);
  field('rc-gaps-summary').textContent = data.features.length
    ? fill(text.gaps_summary, { n: data.features.length, km: km(total) }) : '';
  empty.hidden = data.features.length > 0;
  empty.textContent = text.no_gaps;
  data.features.slice(0, GAP_LIST_LENGTH).forEach((feature, index) => {
    const p = feature.properties;
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'rc-gap';
    button.dataset.index = String(index);
    const when = p.days_since_visit === null || p.days_since_visit === undefined ? text.never : fill(text.days_ago, { days: p.days_since_visit });
    button.innerHTML = `<span class="rc-gap-name">${escapeHtml(p.waterway_name)}</span>
      <span class="rc-gap-length">${escapeHtml(km(p.length_m))} ${escapeHtml(text.km)}</span>
      <span class="rc-gap-where">${escapeHtml(km(p.start_m))}–${escapeHtml(km(p.end_m))} ${escapeHtml(text.km)} · ${escapeHtml(when)}</span>`;
    button.addEventListener('click', () => highlightGap(index));
    item.append(button);
    list.append(item);
  });
  if (data.features.length > GAP_LIST_LENGTH) {
    const more = document.createElement('li');
    more.className = 'muted';
    more.textContent = fill(text.gaps_more, { n: data.features.length - GAP_LIST_LENGTH });
    list.append(more);
  }
  element.dataset.gapCount = String(data.features.length);
}

async function loadCoverage() {
  const data = await getJSON(withQuery(config.urls.coverage));
  const district = data.district;
  field('rc-coverage-pct').textContent = `${district.coverage_pct}%`;
  field('rc-coverage-detail').textContent = `${km(district.visited_m)} / ${km(district.length_m)} ${text.km}`;
  const rows = field('rc-coverage-rows');
  rows.replaceChildren();
  for (const waterway of data.waterways) {
    const row = document.createElement('tr');
    if (waterway.mine) row.className = 'mine';
    const last = waterway.last_visit ? waterway.last_visit.slice(0, 10) : text.never;
    row.innerHTML = `<td>${escapeHtml(waterway.name)}</td>
      <td class="num"><span class="rc-bar" style="--pct:${Number(waterway.coverage_pct) || 0}%"></span>${escapeHtml(waterway.coverage_pct)}%</td>
      <td>${escapeHtml(last)}</td>`;
    rows.append(row);
  }
}

async function loadSummary() {
  const data = await getJSON(withQuery(config.urls.summary));
  const records = data.service_records;
  field('rc-records').textContent = fill(text.service_records, { count: records.total });
  field('rc-records-bar').value = Math.min(records.total, records.target);
  return data;
}

function popupFor(p, title) {
  const rows = [[text.people, p.people], [text.debris, p.debris_kg]].filter(([, v]) => v !== null && v !== undefined);
  return `<div class="popup"><h3>${escapeHtml(title)}</h3><p>${escapeHtml(p.day)}${p.waterway ? ` · ${escapeHtml(p.waterway)}` : ''}</p>
    ${rows.map(([k, v]) => `<p>${escapeHtml(k)}：${escapeHtml(v)}</p>`).join('')}
    <p><a href="${escapeHtml(p.url)}">${escapeHtml(text.details)}</a></p></div>`;
}

function clusterIcon(kind) {
  return (cluster) => {
    const n = cluster.getChildCount();
    const size = n < 10 ? 30 : n < 100 ? 36 : 44;
    return L.divIcon({
      html: `<span style="background:${KIND_COLOURS[kind] || '#64748b'}">${n}</span>`,
      className: 'rc-cluster', iconSize: [size, size],
    });
  };
}

function tileURL(layer) {
  return withQuery(config.urls.tile.replace('LAYER', layer)).replace(/%7B/g, '{').replace(/%7D/g, '}');
}

function vectorTiles(layer, style) {
  // Canvas tiles, not interactive: VectorGrid 1.3's click handler calls a method Leaflet 1.9 removed.
  return L.vectorGrid.protobuf(tileURL(layer), {
    rendererFactory: L.canvas.tile, interactive: false, maxNativeZoom: 18, vectorTileLayerStyles: { [layer]: style },
  });
}

async function loadActivities(useTiles) {
  activitiesLayer.clearLayers();
  if (useTiles) {
    vectorTiles('activities', (properties) => ({
      radius: Math.min(12, 3 + Math.log2(properties.count || 1) * 1.6), fill: true, weight: 1, color: '#fff',
      fillColor: KIND_COLOURS[properties.kind] || '#64748b', fillOpacity: 0.85,
    })).addTo(activitiesLayer);
    element.dataset.activityCount = 'tiles';
    return;
  }
  const data = await getJSON(withQuery(config.urls.activities));
  const groups = {};
  for (const feature of data.features) {
    const { kind } = feature.properties;
    if (!groups[kind]) {
      groups[kind] = L.markerClusterGroup({ iconCreateFunction: clusterIcon(kind), showCoverageOnHover: false, maxClusterRadius: 45 });
    }
    const [lon, lat] = feature.geometry.coordinates;
    L.circleMarker([lat, lon], { radius: 6, color: '#fff', weight: 1.5, fillColor: KIND_COLOURS[kind] || '#64748b', fillOpacity: 0.9 })
      .bindPopup(popupFor(feature.properties, feature.properties.kind_display))
      .addTo(groups[kind]);
  }
  Object.values(groups).forEach((group) => group.addTo(activitiesLayer));
  element.dataset.activityCount = String(data.features.length);
}

async function loadTracks(useTiles) {
  tracksLayer.clearLayers();
  if (useTiles) {
    vectorTiles('tracks', () => ({ color: '#1d4ed8', weight: 1.5, opacity: 0.6 })).addTo(tracksLayer);
    element.dataset.trackCount = 'tiles';
    return;
  }
  const data = await getJSON(withQuery(config.urls.tracks));
  L.geoJSON(data, {
    style: { color: '#1d4ed8', weight: 2, opacity: 0.55, className: 'rc-track' },
    onEachFeature: (feature, layer) => layer.bindPopup(popupFor(
      { ...feature.properties, people: null, debris_kg: null }, `${feature.properties.kind_display} · ${feature.properties.km} ${text.km}`)),
  }).addTo(tracksLayer);
  element.dataset.trackCount = String(data.features.length);
}

async function loadProblems() {
  const data = await getJSON(withQuery(config.urls.problems));
  problemsLayer.clearLayers();
  L.geoJSON(data, {
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
      radius: 6, weight: 2, color: PROBLEM_COLOURS[feature.properties.state] || '#dc2626', fillColor: '#fff', fillOpacity: 1,
      className: `rc-problem rc-problem-${feature.properties.state}`,
    }),
    onEachFeature: (feature, layer) => {
      const p = feature.properties;
      layer.bindPopup(`<div class="popup"><h3>${escapeHtml(p.category_display)}</h3><p>${escapeHtml(p.state_display)} · ${escapeHtml(p.day)}</p>
        ${p.note ? `<p>${escapeHtml(p.note)}</p>` : ''}<p><a href="${escapeHtml(p.url)}">${escapeHtml(text.details)}</a></p></div>`);
    },
  }).addTo(problemsLayer);
  element.dataset.problemCount = String(data.features.length);
}

let hotspotData = null;

function hotspotQuery() {
  const extra = { measure: field('rc-measure').value, method: field('rc-method').value };
  if (field('rc-normalize').checked) extra.normalize = 'effort';
  return withQuery(config.urls.hotspots, extra);
}

function drawHotspots() {
  hotspotLayer.clearLayers();
  heatLayer.clearLayers();
  if (!hotspotData) return;
  const isLine = hotspotData.meta && hotspotData.meta.method === 'network';
  L.geoJSON(hotspotData, {
    filter: (feature) => Boolean(HOTSPOT[feature.properties.class]),
    style: (feature) => {
      const colour = HOTSPOT[feature.properties.class];
      return isLine ? { color: colour, weight: 8, opacity: 0.9 } : { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.6, className: `rc-hot rc-${feature.properties.class}` };
    },
    onEachFeature: (feature, layer) => {
      const p = feature.properties;
      layer.bindTooltip(`${escapeHtml(text.hotspot_classes[p.class] || p.class)} · ${escapeHtml(text.hotspot_value)} ${escapeHtml(Number(p.value).toFixed(2))}${p.effort_km !== undefined && p.effort_km !== null ? ` · ${escapeHtml(text.hotspot_effort)} ${escapeHtml(Number(p.effort_km).toFixed(1))} ${escapeHtml(text.km)}` : ''}`, { sticky: true });
    },
  }).addTo(hotspotLayer);
  // The heat layer is the raw value, for looks: it has no significance test behind it.
  const values = hotspotData.features.map((feature) => Number(feature.properties.value) || 0);
  const top = Math.max(...values, 0);
  if (top > 0) {
    L.geoJSON(hotspotData, {
      filter: (feature) => Number(feature.properties.value) > 0,
      style: (feature) => {
        const share = Math.sqrt(Number(feature.properties.value) / top);
        return isLine ? { color: '#f97316', weight: 3 + 7 * share, opacity: 0.3 + 0.6 * share }
          : { stroke: false, fillColor: '#f97316', fillOpacity: 0.15 + 0.7 * share };
      },
      interactive: false,
    }).addTo(heatLayer);
  }
  const counts = hotspotData.meta?.counts || {};
  const sum = (prefix) => Object.entries(counts).filter(([key]) => key.startsWith(prefix)).reduce((total, [, n]) => total + n, 0);
  field('rc-hotspot-summary').textContent = fill(text.hotspot_summary, {
    units: hotspotData.meta?.units ?? hotspotData.features.length, hot: sum('hot_'), cold: sum('cold_'),
  });
  element.dataset.hotspotUnits = String(hotspotData.features.length);
  updateLegend();
}

async function loadHotspots() {
  // Only while one of its layers is on: the statistic takes a moment.
  if (!map.hasLayer(hotspotLayer) && !map.hasLayer(heatLayer)) {
    hotspotData = null;
    return;
  }
  hotspotData = await getJSON(hotspotQuery());
  drawHotspots();
}

// --- Legend ---------------------------------------------------------------------------

let legendBox = null;

function updateLegend() {
  if (!legendBox) return;
  const lengths = Object.fromEntries(freshnessClasses.map((item) => [item.class, item]));
  const freshnessRows = Object.entries(FRESHNESS).map(([key, style]) => {
    const item = lengths[key];
    const label = item ? item.label : key;
    const length = item ? ` <span class="muted">${escapeHtml(km(item.length_m))} ${escapeHtml(text.km)}</span>` : '';
    return `<div class="rc-legend-row"><span class="swatch" style="border-top:5px ${style.dashArray ? 'dashed' : 'solid'} ${style.color}"></span>${escapeHtml(label)}${length}</div>`;
  }).join('');
  let hotspotRows = '';
  if (map.hasLayer(hotspotLayer)) {
    hotspotRows = `<div class="rc-legend-title">${escapeHtml(text.hotspots)}</div>${Object.entries(HOTSPOT).filter(([, colour]) => colour)
      .map(([key, colour]) => `<div class="rc-legend-row"><span class="swatch box" style="background:${colour}"></span>${escapeHtml(text.hotspot_classes[key])}</div>`).join('')}`;
  }
  const kindRows = Object.entries(KIND_COLOURS).map(([kind, colour]) => `<span class="rc-kind"><span class="dot" style="background:${colour}"></span>${escapeHtml(text.kinds[kind] || kind)}</span>`).join('');
  legendBox.innerHTML = `<summary>${escapeHtml(text.legend)}</summary>
    <div class="rc-legend-title">${escapeHtml(text.freshness_days)}</div>${freshnessRows}
    <div class="rc-legend-row"><span class="swatch rc-track-swatch"></span>${escapeHtml(text.tracks)}</div>
    <div class="rc-legend-kinds">${kindRows}</div>${hotspotRows}`;
}

const legend = legendControl((box) => {
  legendBox = box;
  box.classList.add('rc-legend');
  updateLegend();
});
legend.addTo(map);

// --- Loading ----------------------------------------------------------------------------

let generation = 0;

function setStatus(message, state) {
  statusBox.textContent = message;
  statusBox.className = `map-status ${state || ''}`;
}

async function refresh() {
  const mine = ++generation;
  rememberInURL();
  setStatus(text.loading);
  element.dataset.ready = 'false';
  const summary = await loadSummary().catch((error) => { console.error(error); return null; });
  const tiles = summary ? summary.vector_tiles : { activities: false, tracks: false };
  const results = await Promise.allSettled([
    loadFreshness(), loadGaps(), loadCoverage(), loadActivities(tiles.activities), loadTracks(tiles.tracks), loadProblems(), loadHotspots(),
  ]);
  if (mine !== generation) return;  // a newer refresh is on its way
  const failed = results.filter((result) => result.status === 'rejected');
  failed.forEach((result) => console.error(result.reason));
  if (failed.length || !summary) setStatus(text.load_failed, 'error');
  else setStatus(tiles.activities || tiles.tracks ? text.vector_tiles_note : text.loaded, 'done');
  element.dataset.ready = 'true';
}

async function drawBase() {
  const [outline, waterways, stations] = await Promise.allSettled([
    getJSON(config.urls.district), getJSON(config.urls.waterways), getJSON(config.urls.stations),
  ]);
  if (outline.status === 'fulfilled') {
    overlays[text.outline] = L.geoJSON(outline.value, {
      style: { color: '#5b6470', weight: 2, dashArray: '6 4', fill: false }, interactive: false,
    }).addTo(map);
  }
  if (waterways.status === 'fulfilled') {
    // The network under the colours: thin, so a reach without data still shows where the river is.
    L.geoJSON(waterways.value, { style: { color: '#93c5fd', weight: 2, opacity: 0.8 }, interactive: false }).addTo(networkLayer);
    overlays[text.network] = networkLayer.addTo(map);
    networkLayer.bringToBack();
    const mine = new Set(config.mine_codes);
    const own = waterways.value.features.filter((feature) => mine.has(feature.properties.code));
    const focus = own.length && field('rc-waterway').value === 'mine' ? L.geoJSON({ type: 'FeatureCollection', features: own }) : null;
    if (focus) map.fitBounds(focus.getBounds(), { padding: [30, 30], animate: false });
    else if (overlays[text.outline]) map.fitBounds(overlays[text.outline].getBounds(), { padding: [12, 12], animate: false });
  }
  if (stations.status === 'fulfilled') {
    overlays[text.stations] = L.geoJSON(stations.value, {
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 5, color: '#fff', weight: 1.5, fillColor: '#c2410c', fillOpacity: 0.95 }),
      onEachFeature: (feature, layer) => layer.bindPopup(`<div class="popup"><h3>${escapeHtml(feature.properties.name)}</h3><p>${escapeHtml(feature.properties.kind_display)}</p></div>`),
    });
  }
  L.control.layers(bases, overlays, { collapsed: window.innerWidth < 900 }).addTo(map);
}

map.on('overlayadd overlayremove', (event) => {
  if (event.layer === hotspotLayer || event.layer === heatLayer) {
    if (event.type === 'overlayadd' && !hotspotData) loadHotspots().catch((error) => { console.error(error); setStatus(text.load_failed, 'error'); });
    updateLegend();
  }
});
map.on('moveend', () => {
  element.dataset.zoom = String(map.getZoom());
  element.dataset.center = map.getCenter().toString();
});

field('rc-preset').addEventListener('change', (event) => applyPreset(event.target.value));
let timer = null;
// The gap and hotspot controls sit further down the panel (form="rc-filters"): listen on the panel.
document.querySelector('.rc-panel').addEventListener('change', (event) => {
  if (event.target.id === 'rc-start' || event.target.id === 'rc-end') field('rc-preset').value = 'custom';
  if (!form.checkValidity()) return;
  clearTimeout(timer);
  timer = setTimeout(() => {
    if (['rc-measure', 'rc-method', 'rc-normalize'].includes(event.target.id)) {
      rememberInURL();
      loadHotspots().catch((error) => { console.error(error); setStatus(text.load_failed, 'error'); });
    } else {
      refresh();
    }
  }, 250);
});
form.addEventListener('submit', (event) => event.preventDefault());

readURL();
// On a phone the panel sits under the map: keep the filters folded so the gap list is near.
if (window.innerWidth < 700) field('rc-filter-box').open = false;
window.riverChiefMap = { map, overlays, highlightGap };
drawBase().then(refresh);
