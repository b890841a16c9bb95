// The river-chief map: reaches coloured by days since the last patrol, the list of unpatrolled
// stretches, the period's tracks, activities and problems, and Gi* hotspots. Every layer reads the
// same filters from the side panel; the URL keeps them, so a view can be shared or bookmarked.
import { districtMap, legendControl } from './basemap.js';
import { escapeHtml, fetchJSON, kindColour, revealInvisible } from './util.js';

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
const HEAT_COLOUR = '#7e22ce';
// Unpatrolled stretches glow yellow under the coverage colours: the one clicked in the list, or all of
// them when they come as tiles.
const GAP_COLOUR = '#facc15';
// The problem list's own map classes (problems.selectors.map_states), coloured as on /problems/ (problems.css).
const PROBLEM_COLOURS = { open: '#1c7ed6', overdue: '#e03131', fixed: '#2b8a3e', not_fixed: '#7950f2' };

// One request per layer at a time: a newer request for a layer cancels the older one, so an
// answer that arrives late never draws over a newer one.
const inflight = {};

function begin(layer) {
  inflight[layer]?.abort();
  inflight[layer] = new AbortController();
  return inflight[layer].signal;
}

const isAbort = (error) => error?.name === 'AbortError';

// Runs load(signal) for a layer; drops the answer when a newer request replaced it, and empties the
// layer when the request fails, so old data never stays on screen under new filters.
async function loadLayer(name, load, layer) {
  const signal = begin(name);
  try {
    await load(signal);
  } catch (error) {
    if (isAbort(error) || signal.aborted) return 'cancelled';
    layer?.clearLayers();
    throw error;
  }
  return signal.aborted ? 'cancelled' : 'done';
}

const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? '');
const km = (metres) => (metres / 1000).toFixed(metres < 10000 ? 2 : 1);

// --- Filters ------------------------------------------------------------------------------

function isoDay(date) {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

function presetRange(preset) {
  const today = new Date(`${config.defaults.end}T12:00:00`);
  let start = new Date(today);
  let end = new Date(today);
  if (preset === 'year') start = new Date(today.getFullYear(), 0, 1, 12);
  else if (preset === 'last-year') {
    start = new Date(today.getFullYear() - 1, 0, 1, 12);
    end = new Date(today.getFullYear() - 1, 11, 31, 12);
  } else if (/^\d+$/.test(preset)) start.setDate(start.getDate() - Number(preset) + 1);
  else return null;
  return [isoDay(start), isoDay(end)];
}

// The preset whose dates these are, so a reloaded or shared view names its period.
function presetFor(start, end) {
  const match = [...field('rc-preset').options].map((option) => option.value)
    .find((preset) => String(presetRange(preset)) === String([start, end]));
  return match || 'custom';
}

function applyPreset(preset) {
  const range = presetRange(preset);
  if (!range) return;
  [field('rc-start').value, field('rc-end').value] = range;
}

function readURL() {
  const params = new URLSearchParams(window.location.search);
  field('rc-start').value = params.get('start') || config.defaults.start;
  field('rc-end').value = params.get('end') || config.defaults.end;
  field('rc-preset').value = presetFor(field('rc-start').value, field('rc-end').value);
  field('rc-end').min = field('rc-start').value;
  field('rc-start').max = field('rc-end').value;
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
// The coverage colours draw above the tracks, which run along the same rivers. Tracks start hidden:
// the colours already say where people walked; the tracks are there to check one.
map.createPane('coverage').style.zIndex = 450;
// A clicked gap glows under the coverage colours, so its own dashes stay readable.
map.createPane('highlight').style.zIndex = 440;
// Hotspot cells and reaches lie under the coverage lines: a hot reach shows as a wide halo around its colour.
map.createPane('analysis').style.zIndex = 430;
overlays[text.freshness] = freshnessLayer.addTo(map);
overlays[text.tracks] = tracksLayer;
overlays[text.activities] = activitiesLayer.addTo(map);
overlays[text.problems] = problemsLayer.addTo(map);
overlays[text.hotspots] = hotspotLayer;
overlays[text.heat] = heatLayer;

let freshnessClasses = [];

// A tile leaves out what a GeoJSON feature gives as null (a reach never visited has no days).
const isMissing = (value) => value === null || value === undefined;

function freshnessStyle(name) {
  const style = FRESHNESS[name] || FRESHNESS.never;
  return { color: style.color, weight: 5, opacity: 0.95, dashArray: style.dashArray };
}

function freshnessPopup(p) {
  const when = isMissing(p.days_since_visit) ? text.never : fill(text.days_ago, { days: p.days_since_visit });
  return `<div class="popup"><h3>${escapeHtml(p.waterway_name)}</h3>
    <p>${escapeHtml(km(p.start_m))}–${escapeHtml(km(p.end_m))} ${escapeHtml(text.km)} · ${escapeHtml(fill(text.labelled, { label: text.last_visit, value: when }))}</p></div>`;
}

// Drawn from vector tiles when the scope holds many reaches (the summary says so): the same runs,
// colours and popups, without the legend's lengths (no tile knows them all).
let freshnessTiles = null;

async function loadFreshness(signal, useTiles) {
  if (useTiles) {
    freshnessLayer.clearLayers();
    freshnessClasses = [];
    let featureId = 0;
    freshnessTiles = vectorTiles('freshness', (properties) => freshnessStyle(properties.class), 'freshnessTiles', {
      ...REACH_TILE_OPTIONS, getFeatureId: () => ++featureId,  // keeps each tile's features for tileFeatureAt()
    }).addTo(freshnessLayer);
    element.dataset.freshnessRuns = 'tiles';
    updateLegend();
    return;
  }
  const data = await fetchJSON(withQuery(config.urls.freshness), { signal });
  if (signal.aborted) return;
  freshnessLayer.clearLayers();
  freshnessTiles = null;
  freshnessClasses = data.classes || [];
  L.geoJSON(data, {
    style: (feature) => ({ ...freshnessStyle(feature.properties.class), className: `rc-fresh rc-fresh-${feature.properties.class}` }),
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
    style: { color: GAP_COLOUR, weight: 16, opacity: 0.75, className: 'rc-gap-highlight' }, interactive: false, pane: 'highlight',
  }).addTo(gapHighlight);
  map.fitBounds(layer.getBounds(), { padding: [40, 40], maxZoom: 16 });
  document.querySelectorAll('.rc-gap-list button').forEach((button) => button.classList.toggle('active', Number(button.dataset.index) === index));
}

// The gap days the tiles on the map were drawn for (null: the gaps came as GeoJSON, one highlighted at a time).
let gapTileDays = null;

async function loadGaps(signal, useTiles) {
  const days = field('rc-days').value;
  const list = field('rc-gap-list');
  const empty = field('rc-gaps-empty');
  if (useTiles) {
    // Too many stretches to list: all of them glow on the map instead, drawn from tiles.
    list.replaceChildren();
    gapLayers.length = 0;
    gapHighlight.clearLayers();
    vectorTiles('gaps', () => ({ color: GAP_COLOUR, weight: 12, opacity: 0.6 }), 'gapTiles', {
      ...REACH_TILE_OPTIONS, query: { days },
    }).addTo(gapHighlight);
    gapTileDays = days;
    field('rc-gaps-summary').textContent = fill(text.gaps_tiled, { n: reachesInScope.toLocaleString('zh-CN') });
    empty.hidden = true;
    element.dataset.gapCount = 'tiles';
    updateLegend();
    return;
  }
  const data = await fetchJSON(withQuery(config.urls.gaps, { days }), { signal });
  if (signal.aborted) return;
  list.replaceChildren();
  gapLayers.length = 0;
  gapHighlight.clearLayers();
  gapTileDays = null;
  updateLegend();
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
    // The newest visit anywhere in the stretch: the rest of it has waited at least that long.
    const when = isMissing(p.days_since_visit) ? text.never : fill(text.gap_days, { days: p.days_since_visit });
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

async function loadCoverage(signal) {
  const data = await fetchJSON(withQuery(config.urls.coverage), { signal });
  if (signal.aborted) return;
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
      <td class="num"><span class="rc-bar"></span>${escapeHtml(waterway.coverage_pct)}%</td>
      <td>${escapeHtml(last)}</td>`;
    // Through element.style (CSSOM), which the Content-Security-Policy allows; a style="…" attribute
    // in the HTML would be blocked (style-src 'self').
    row.querySelector('.rc-bar').style.setProperty('--pct', `${Number(waterway.coverage_pct) || 0}%`);
    rows.append(row);
  }
}

async function loadSummary(signal) {
  const data = await fetchJSON(withQuery(config.urls.summary), { signal });
  if (signal.aborted) return null;
  const records = data.service_records;
  field('rc-records').textContent = fill(text.service_records, { count: records.total });
  field('rc-records-bar').value = Math.min(records.total, records.target);
  return data;
}

function popupFor(p, title) {
  const rows = [[text.people, p.people], [text.debris, p.debris_kg]].filter(([, v]) => v !== null && v !== undefined);
  return `<div class="popup"><h3>${escapeHtml(title)}</h3><p>${escapeHtml(p.day)}${p.waterway ? ` · ${escapeHtml(p.waterway)}` : ''}</p>
    ${rows.map(([k, v]) => `<p>${escapeHtml(fill(text.labelled, { label: k, value: v }))}</p>`).join('')}
    <p><a href="${escapeHtml(p.url)}">${escapeHtml(text.details)}</a></p></div>`;
}

function clusterIcon(kind) {
  return (cluster) => {
    const n = cluster.getChildCount();
    const size = n < 10 ? 30 : n < 100 ? 36 : 44;
    // An element, coloured through element.style: the policy blocks style="…" in HTML strings.
    const count = document.createElement('span');
    count.textContent = n;
    count.style.background = kindColour(kind);
    return L.divIcon({ html: count, className: `rc-cluster rc-kind-${kind}`, iconSize: [size, size] });
  };
}

function tileURL(layer, extra = {}) {
  return withQuery(config.urls.tile.replace('LAYER', layer), extra).replace(/%7B/g, '{').replace(/%7D/g, '}');
}

// Vector tiles are grid layers, which Leaflet puts under everything else: give them the panes their
// GeoJSON twins use (tracks under the coverage colours, activities above them, like markers; the
// coverage colours and the gaps' glow as theirs).
map.createPane('trackTiles').style.zIndex = 410;
map.createPane('gapTiles').style.zIndex = 440;
map.createPane('freshnessTiles').style.zIndex = 450;
map.createPane('activityTiles').style.zIndex = 600;
['trackTiles', 'gapTiles', 'freshnessTiles', 'activityTiles'].forEach((pane) => { map.getPane(pane).style.pointerEvents = 'none'; });

// The reaches' tiles start at zoom REACH_MIN_ZOOM (a smaller one would hold a province); one zoom out
// they are drawn scaled down, and further out not at all.
const REACH_TILE_OPTIONS = { minNativeZoom: config.reach_tile_min_zoom, minZoom: config.reach_tile_min_zoom - 1 };

function vectorTiles(layer, style, pane, { query = {}, ...options } = {}) {
  // Canvas tiles, not interactive: VectorGrid 1.3's click handler calls a method Leaflet 1.9 removed
  // (tileFeatureAt() finds what a click hit instead).
  return L.vectorGrid.protobuf(tileURL(layer, query), {
    rendererFactory: L.canvas.tile, interactive: false, maxNativeZoom: 18, pane, vectorTileLayerStyles: { [layer]: style }, ...options,
  });
}

// The properties of the line drawn nearest a point (within a few pixels) in a vector grid's loaded
// tile there: the grid keeps each tile's features when given getFeatureId, in tile pixels.
function tileFeatureAt(grid, latlng, tolerance = 6) {
  const { minNativeZoom, maxNativeZoom } = grid.options;
  const tileZoom = Math.min(maxNativeZoom, Math.max(minNativeZoom, Math.round(map.getZoom())));
  const size = grid.getTileSize();
  const point = map.project(latlng, tileZoom);
  const coords = point.unscaleBy(size).floor();
  const renderer = grid._vectorTiles?.[`${coords.x}:${coords.y}:${tileZoom}`];
  if (!renderer) return null;
  const local = point.subtract(coords.scaleBy(size));
  let nearest = null;
  let distance = tolerance / map.getZoomScale(map.getZoom(), tileZoom);
  for (const { feature } of Object.values(renderer._features)) {
    for (const part of feature._parts) {
      for (let i = 1; i < part.length; i += 1) {
        const d = L.LineUtil.pointToSegmentDistance(local, part[i - 1], part[i]);
        if (d <= distance) [nearest, distance] = [feature, d];
      }
    }
  }
  return nearest ? nearest.properties : null;
}

// A click on the map that hit no other layer: the freshness popup of the tile line under it.
map.on('click', (event) => {
  if (!freshnessTiles || !map.hasLayer(freshnessLayer)) return;
  const properties = tileFeatureAt(freshnessTiles, event.latlng);
  if (properties) L.popup().setLatLng(event.latlng).setContent(freshnessPopup(properties)).openOn(map);
});

async function loadActivities(signal, useTiles) {
  if (useTiles) {
    activitiesLayer.clearLayers();
    vectorTiles('activities', (properties) => ({
      radius: Math.min(14, 5 + Math.log2(properties.count || 1) * 2), fill: true, weight: 1.5, color: '#fff',
      fillColor: kindColour(properties.kind), fillOpacity: 0.85,
    }), 'activityTiles').addTo(activitiesLayer);
    element.dataset.activityCount = 'tiles';
    return;
  }
  const data = await fetchJSON(withQuery(config.urls.activities), { signal });
  if (signal.aborted) return;
  activitiesLayer.clearLayers();
  const groups = {};
  for (const feature of data.features) {
    const { kind } = feature.properties;
    if (!groups[kind]) {
      groups[kind] = L.markerClusterGroup({ iconCreateFunction: clusterIcon(kind), showCoverageOnHover: false, maxClusterRadius: 45 });
    }
    const [lon, lat] = feature.geometry.coordinates;
    L.circleMarker([lat, lon], {
      radius: 6, color: '#fff', weight: 1.5, fillColor: kindColour(kind), fillOpacity: 0.9, className: `rc-activity rc-kind-${kind}`,
    })
      .bindPopup(popupFor(feature.properties, feature.properties.kind_display))
      .addTo(groups[kind]);
  }
  Object.values(groups).forEach((group) => group.addTo(activitiesLayer));
  element.dataset.activityCount = String(data.features.length);
}

async function loadTracks(signal, useTiles) {
  if (useTiles) {
    tracksLayer.clearLayers();
    vectorTiles('tracks', (properties) => ({ color: kindColour(properties.kind), weight: 1.5, opacity: 0.6 }), 'trackTiles').addTo(tracksLayer);
    element.dataset.trackCount = 'tiles';
    return;
  }
  const data = await fetchJSON(withQuery(config.urls.tracks), { signal });
  if (signal.aborted) return;
  tracksLayer.clearLayers();
  L.geoJSON(data, {
    // In the kind's colour, as on the activity pages: a patrol is the same orange everywhere.
    style: (feature) => ({
      color: kindColour(feature.properties.kind), weight: 2, opacity: 0.55, className: `rc-track rc-kind-${feature.properties.kind}`,
    }),
    onEachFeature: (feature, layer) => layer.bindPopup(popupFor(
      { ...feature.properties, people: null, debris_kg: null }, `${feature.properties.kind_display} · ${feature.properties.km} ${text.km}`)),
  }).addTo(tracksLayer);
  element.dataset.trackCount = String(data.features.length);
}

async function loadProblems(signal) {
  const data = await fetchJSON(withQuery(config.urls.problems), { signal });
  if (signal.aborted) return;
  problemsLayer.clearLayers();
  L.geoJSON(data, {
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
      radius: 6, weight: 2, color: PROBLEM_COLOURS[feature.properties.state] || '#dc2626', fillColor: '#fff', fillOpacity: 1,
      className: `rc-problem rc-problem-${feature.properties.state}`,
    }),
    onEachFeature: (feature, layer) => {
      const p = feature.properties;
      layer.bindPopup(`<div class="popup"><h3>${escapeHtml(p.category_display)}</h3><p>${escapeHtml(p.state_display)} · ${escapeHtml(p.day)}</p>
        ${p.note ? `<p>${revealInvisible(p.note)}</p>` : ''}<p><a href="${escapeHtml(p.url)}">${escapeHtml(text.details)}</a></p></div>`);
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
    pane: 'analysis',
    filter: (feature) => Boolean(HOTSPOT[feature.properties.class]),
    style: (feature) => {
      const colour = HOTSPOT[feature.properties.class];
      return isLine ? { color: colour, weight: 16, opacity: 0.85, lineCap: 'butt', className: `rc-hot rc-${feature.properties.class}` }
        : { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.6, className: `rc-hot rc-${feature.properties.class}` };
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
      pane: 'analysis',
      filter: (feature) => Number(feature.properties.value) > 0,
      style: (feature) => {
        const share = Math.sqrt(Number(feature.properties.value) / top);
        // Purple, not the hotspots' red and blue: this layer is a look at the raw numbers, not a finding.
        return isLine ? { color: HEAT_COLOUR, weight: 8 + 10 * share, opacity: 0.25 + 0.5 * share, lineCap: 'butt' }
          : { stroke: false, fillColor: HEAT_COLOUR, fillOpacity: 0.15 + 0.7 * share };
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

async function loadHotspots(signal) {
  // Only while one of its layers is on: the statistic takes a moment.
  if (!map.hasLayer(hotspotLayer) && !map.hasLayer(heatLayer)) {
    hotspotData = null;
    hotspotLayer.clearLayers();
    heatLayer.clearLayers();
    return;
  }
  const data = await fetchJSON(hotspotQuery(), { signal });
  if (signal.aborted) return;
  hotspotData = data;
  drawHotspots();
}

function hotspotsOnly() {
  setStatus(text.loading);
  loadLayer('hotspots', loadHotspots, hotspotLayer)
    .then((outcome) => { if (outcome === 'done') setStatus(text.loaded, 'done'); })
    .catch((error) => { heatLayer.clearLayers(); failed([error]); });
}

// --- Legend ---------------------------------------------------------------------------

let legendBox = null;

function updateLegend() {
  if (!legendBox) return;
  const lengths = Object.fromEntries(freshnessClasses.map((item) => [item.class, item]));
  const freshnessRows = Object.entries(FRESHNESS).map(([key, style]) => {
    const item = lengths[key];
    const label = item ? item.label : text.freshness_classes[key] || key;
    const length = item ? ` <span class="muted">${escapeHtml(km(item.length_m))} ${escapeHtml(text.km)}</span>` : '';
    return `<div class="rc-legend-row"><span class="swatch rc-line${style.dashArray ? ' dashed' : ''}" data-colour="${escapeHtml(style.color)}"></span>${escapeHtml(label)}${length}</div>`;
  }).join('');
  let hotspotRows = '';
  if (map.hasLayer(hotspotLayer)) {
    hotspotRows = `<div class="rc-legend-title">${escapeHtml(text.hotspots)}</div>${Object.entries(HOTSPOT).filter(([, colour]) => colour)
      .map(([key, colour]) => `<div class="rc-legend-row"><span class="swatch box" data-colour="${escapeHtml(colour)}"></span>${escapeHtml(text.hotspot_classes[key])}</div>`).join('')}`;
  }
  if (map.hasLayer(heatLayer)) {
    hotspotRows += `<div class="rc-legend-title">${escapeHtml(text.heat)}</div>
      <div class="rc-legend-row"><span class="swatch box rc-heat-ramp"></span>${escapeHtml(text.heat_ramp)}</div>`;
  }
  // The kinds as the server lists them, each in its colour from kinds.css.
  const kindRows = Object.entries(text.kinds).map(([kind, label]) => `<span class="rc-kind"><span class="dot" data-colour="${escapeHtml(kindColour(kind))}"></span>${escapeHtml(label)}</span>`).join('');
  const problemRows = Object.entries(PROBLEM_COLOURS).map(([state, colour]) => `<span class="rc-kind"><span class="dot ring" data-colour="${escapeHtml(colour)}"></span>${escapeHtml(text.problem_states[state])}</span>`).join('');
  const gapRow = gapTileDays === null ? '' : `<div class="rc-legend-row"><span class="swatch rc-line" data-colour="${escapeHtml(GAP_COLOUR)}"></span>${escapeHtml(fill(text.gaps_legend, { days: gapTileDays }))}</div>`;
  legendBox.innerHTML = `<summary>${escapeHtml(text.legend)}</summary>
    <div class="rc-legend-title">${escapeHtml(text.freshness_days)}</div>${freshnessRows}${gapRow}
    <div class="rc-legend-row"><span class="swatch rc-track-swatch"></span>${escapeHtml(text.tracks)}</div>
    <div class="rc-legend-kinds">${kindRows}</div>
    <div class="rc-legend-title">${escapeHtml(text.problems)}</div><div class="rc-legend-kinds">${problemRows}</div>${hotspotRows}`;
  // Each swatch's colour as --swatch, through element.style (CSSOM): the Content-Security-Policy
  // blocks style="…" attributes in HTML (style-src 'self'). river-chief-map.css draws with it.
  for (const swatch of legendBox.querySelectorAll('[data-colour]')) swatch.style.setProperty('--swatch', swatch.dataset.colour);
}

const legend = legendControl((box) => {
  legendBox = box;
  box.classList.add('rc-legend');
  updateLegend();
});
legend.addTo(map);

// --- Loading ----------------------------------------------------------------------------

function setStatus(message, state) {
  statusBox.textContent = message;
  statusBox.className = `map-status ${state || ''}`;
}

// A refused filter (400) says why in the server's words; anything else is the network.
function failed(errors) {
  errors.forEach((error) => console.error(error));
  const reason = errors.map((error) => error.detail).find(Boolean);
  setStatus(reason || text.load_failed, 'error');
}

let generation = 0;
// What the last summary said: which layers come as tiles, and how many reaches are in scope.
let tiled = {};
let reachesInScope = 0;

async function refresh() {
  const mine = ++generation;
  rememberInURL();
  setStatus(text.loading);
  element.dataset.ready = 'false';
  let summary;
  try {
    summary = await loadSummary(begin('summary'));
  } catch (error) {
    if (isAbort(error)) return;
    // Without the counts we cannot tell GeoJSON from tiles: draw nothing rather than guess.
    [freshnessLayer, activitiesLayer, tracksLayer, problemsLayer, hotspotLayer, heatLayer, gapHighlight].forEach((layer) => layer.clearLayers());
    field('rc-gap-list').replaceChildren();
    failed([error]);
    element.dataset.ready = 'true';
    return;
  }
  if (!summary || mine !== generation) return;
  const tiles = summary.vector_tiles;
  tiled = tiles;
  reachesInScope = summary.counts.reaches;
  const results = await Promise.allSettled([
    loadLayer('freshness', (signal) => loadFreshness(signal, tiles.freshness), freshnessLayer),
    loadLayer('gaps', (signal) => loadGaps(signal, tiles.gaps), gapHighlight),
    loadLayer('coverage', loadCoverage),
    loadLayer('activities', (signal) => loadActivities(signal, tiles.activities), activitiesLayer),
    loadLayer('tracks', (signal) => loadTracks(signal, tiles.tracks), tracksLayer),
    loadLayer('problems', loadProblems, problemsLayer),
    loadLayer('hotspots', loadHotspots, hotspotLayer),
  ]);
  if (mine !== generation) return;  // a newer refresh is on its way
  const errors = results.filter((result) => result.status === 'rejected').map((result) => result.reason);
  if (errors.length) failed(errors);
  else {
    const notes = [];
    if (tiles.activities || tiles.tracks) notes.push(text.vector_tiles_note);
    if (tiles.freshness || tiles.gaps) notes.push(text.reach_tiles_note);
    if (!summary.counts.activities) notes.unshift(text.empty_period);
    setStatus(notes.join(' ') || text.loaded, 'done');
  }
  element.dataset.ready = 'true';
}

async function drawBase() {
  const [outline, waterways, stations] = await Promise.allSettled([
    fetchJSON(config.urls.district), fetchJSON(config.urls.waterways), fetchJSON(config.urls.stations),
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
    if (event.type === 'overlayadd' && !hotspotData) hotspotsOnly();
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
  const { id } = event.target;
  if (id === 'rc-start' || id === 'rc-end') field('rc-preset').value = presetFor(field('rc-start').value, field('rc-end').value);
  field('rc-end').min = field('rc-start').value;
  field('rc-start').max = field('rc-end').value;
  if (!form.checkValidity()) {
    form.reportValidity();
    return;
  }
  clearTimeout(timer);
  timer = setTimeout(() => {
    rememberInURL();
    if (['rc-measure', 'rc-method', 'rc-normalize'].includes(id)) hotspotsOnly();
    else if (id === 'rc-days') {
      loadLayer('gaps', (signal) => loadGaps(signal, tiled.gaps), gapHighlight).catch((error) => failed([error]));
    } else refresh();
  }, 250);
});
form.addEventListener('submit', (event) => event.preventDefault());

readURL();
// On a phone the panel sits under the map: keep the filters folded so the gap list is near.
if (window.innerWidth < 700) field('rc-filter-box').open = false;
window.riverChiefMap = { map, overlays, highlightGap };
drawBase().then(refresh);
