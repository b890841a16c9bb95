// Activities on a map, over the district's network drawn faintly. On the list page: every
// activity of the page, coloured by kind. On the detail page: one activity's track, each GPS
// segment a separate line (a gap is never bridged), and the reaches it covered.
import { districtMap, drawFaintNetwork, legendControl } from './basemap.js';
import { kindColour } from './util.js';

const element = document.getElementById('activity-map');
const text = JSON.parse(document.getElementById('activity-map-text').textContent);
const data = JSON.parse(document.getElementById('activity-features').textContent);
const features = data.type === 'FeatureCollection' ? data.features : [data];
const detail = element.dataset.mode === 'detail';

const { map, bases } = districtMap(element, text, { maxZoom: 19 });

// Panes keep the drawing order whatever arrives first: the network (fetched later) stays under
// the visited reaches, which stay under the tracks.
map.createPane('rw-network').style.zIndex = 350;
map.createPane('rw-reaches').style.zIndex = 380;

function el(tag, className, content) {
  // Built as DOM nodes with textContent, so a name like <img onerror> stays text.
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined && content !== null) node.textContent = String(content);
  return node;
}

function when(iso) {
  // The API writes times in Beijing time (+08:00), so the first 16 characters are what we show.
  return iso ? iso.slice(0, 16).replace('T', ' ') : '';
}

function popupFor(p) {
  const box = el('div', 'popup');
  box.append(el('h3', null, p.kind_display));
  box.append(el('p', null, [when(p.started_at), p.waterway_name].filter(Boolean).join(' · ')));
  const names = (p.participants || []).map((person) => person.name).join('、');
  if (names) box.append(el('p', null, `${text.participants}：${names}`));
  box.append(el('p', null, p.status_display));
  if (!detail && p.url) {
    const link = el('a', null, text.details);
    link.href = p.url;
    box.append(link);
  }
  return box;
}

const activityLayer = L.featureGroup().addTo(map);
const layersById = new Map();
let trackCount = 0;

for (const feature of features) {
  const geometry = feature.geometry;
  if (!geometry) continue;
  const p = feature.properties;
  const colour = kindColour(p.kind);
  const group = L.featureGroup();
  if (geometry.type === 'MultiLineString' || geometry.type === 'LineString') {
    const lines = geometry.type === 'LineString' ? [geometry.coordinates] : geometry.coordinates;
    lines.forEach((line, index) => {
      const polyline = L.polyline(line.map(([lon, lat]) => [lat, lon]), {
        color: colour, weight: detail ? 5 : 4, opacity: 0.9, className: `rw-track rw-kind-${p.kind}`,
      });
      if (detail && lines.length > 1) polyline.bindTooltip(text.segment.replace('%(n)s', index + 1), { sticky: true });
      group.addLayer(polyline);
      trackCount += 1;
    });
    if (detail) {
      // Where the walk started, so the direction is readable.
      const [lon, lat] = lines[0][0];
      group.addLayer(L.circleMarker([lat, lon], {
        radius: 5, color: '#fff', weight: 2, fillColor: colour, fillOpacity: 1, className: 'rw-track-start',
      }));
    }
  } else if (geometry.type === 'Point') {
    const [lon, lat] = geometry.coordinates;
    group.addLayer(L.circleMarker([lat, lon], {
      radius: detail ? 9 : 7, color: '#fff', weight: 2, fillColor: colour, fillOpacity: 0.95,
      className: `rw-point rw-kind-${p.kind}`,
    }));
  }
  if (!detail) group.bindPopup(() => popupFor(p));
  group.addTo(activityLayer);
  layersById.set(String(feature.id ?? p.id), group);
}

const extraPointNode = document.getElementById('activity-extra-point');
const extraPoint = extraPointNode ? JSON.parse(extraPointNode.textContent) : null;
if (extraPoint) {
  L.circleMarker([extraPoint[1], extraPoint[0]], {
    radius: 8, color: '#fff', weight: 2, fillColor: '#1c7ed6', fillOpacity: 0.95, className: 'rw-point',
  }).bindTooltip(text.point).addTo(activityLayer);
}

// On the detail page, the problems reported on the way, numbered as in the list beside the map.
let problemCount = 0;
if (detail) {
  (features[0]?.properties.problems || []).forEach((problem, index) => {
    if (!problem.point) return;
    const [lon, lat] = problem.point;
    L.circleMarker([lat, lon], {
      radius: 6, color: '#fff', weight: 2, fillColor: kindColour('problem_report'), fillOpacity: 1, className: 'rw-problem',
    }).bindTooltip(`${index + 1} · ${problem.category_display}`).addTo(activityLayer);
    problemCount += 1;
  });
}
element.dataset.problemCount = String(problemCount);

const reachesNode = document.getElementById('activity-reaches');
const reaches = reachesNode ? JSON.parse(reachesNode.textContent) : null;
let reachCount = 0;
if (reaches && reaches.features && reaches.features.length) {
  L.geoJSON(reaches, {
    pane: 'rw-reaches',
    interactive: false,
    style: { color: '#fab005', weight: 12, opacity: 0.55, lineCap: 'butt', className: 'rw-visited-reach' },
  }).addTo(map);
  reachCount = reaches.features.length;
}

if (activityLayer.getLayers().length) {
  map.fitBounds(activityLayer.getBounds(), { padding: [24, 24], maxZoom: 16, animate: false });
}
element.dataset.trackCount = String(trackCount);
const statusBox = el('div', 'map-status', activityLayer.getLayers().length ? '' : text.no_location);
statusBox.setAttribute('role', 'status');
statusBox.hidden = !statusBox.textContent;
element.after(statusBox);
element.dataset.reachCount = String(reachCount);

function legendRow(swatch, label) {
  const row = el('div');
  row.append(swatch, document.createTextNode(label));
  return row;
}

legendControl((box) => {
  box.append(el('summary', null, text.legend));
  // Only the kinds drawn on this map, named as the features name them.
  const kinds = new Map(features.filter((f) => f.geometry).map((f) => [f.properties.kind, f.properties.kind_display]));
  for (const [kind, label] of kinds) {
    const swatch = el('span', 'swatch');
    swatch.style.borderTop = `4px solid ${kindColour(kind)}`;
    box.append(legendRow(swatch, label));
  }
  if (reachCount) box.append(legendRow(el('span', 'swatch visited'), text.visited));
  if (problemCount) {
    // A dot, as the problems are drawn (the shape of .swatch.station in app.css).
    const swatch = el('span', 'swatch');
    Object.assign(swatch.style, { width: '10px', height: '10px', borderRadius: '50%', margin: '0 1.25rem 0 .5rem',
      background: kindColour('problem_report') });
    box.append(legendRow(swatch, element.dataset.problemLabel));
  }
  box.append(legendRow(el('span', 'swatch network'), text.network));
}).addTo(map);
L.control.layers(bases, null, { collapsed: true }).addTo(map);

// On the list, pointing at a row lights up its activity on the map.
function emphasise(group, on) {
  group.eachLayer((layer) => {
    if (layer instanceof L.CircleMarker) layer.setStyle({ weight: on ? 4 : 2 });
    else layer.setStyle({ weight: on ? 8 : 4, opacity: on ? 1 : 0.9 });
  });
  if (on) group.bringToFront();
}
document.querySelectorAll('tr[data-id]').forEach((row) => {
  const group = layersById.get(row.dataset.id);
  if (!group) return;
  row.addEventListener('mouseenter', () => emphasise(group, true));
  row.addEventListener('mouseleave', () => emphasise(group, false));
});

window.riverwatchActivityMap = { map, layersById };
drawFaintNetwork(map, element, activityLayer, statusBox, text.load_failed);
