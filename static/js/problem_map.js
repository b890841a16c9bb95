// The problem list's map (every filtered problem, coloured by how it stands: open, overdue, fixed,
// closed not fixed; a click opens the problem) and a problem page's map (its one point). Over the
// district's network drawn faintly, as the activity maps draw it. Colours: static/css/problems.css.
import { districtMap, drawFaintNetwork, legendControl } from './basemap.js';

const element = document.getElementById('problem-map');
const text = JSON.parse(document.getElementById('problem-map-text').textContent);
const detail = element.dataset.mode === 'detail';
const { map, bases } = districtMap(element, text, { maxZoom: 19 });
map.createPane('rw-network').style.zIndex = 350;

const colours = new Map();
function stateColour(state) {
  if (!colours.has(state)) {
    const colour = getComputedStyle(document.documentElement).getPropertyValue(`--problem-${state}`).trim();
    if (!colour) return 'gray';  // problems.css did not load: still draw
    colours.set(state, colour);
  }
  return colours.get(state);
}

function el(tag, className, content) {
  // DOM nodes with textContent: a typed name stays text.
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined && content !== null) node.textContent = String(content);
  return node;
}

function marker(lonlat, state, radius) {
  return L.circleMarker([lonlat[1], lonlat[0]], {
    radius, color: '#fff', weight: 2, fillColor: stateColour(state), fillOpacity: 0.95,
    className: `rw-problem rw-problem-${state}`,
  });
}

const problemLayer = L.featureGroup().addTo(map);
const markersById = new Map();
const drawnStates = new Set();
let truncated = false;

if (detail) {
  const lonlat = JSON.parse(document.getElementById('problem-point').textContent);
  const state = element.dataset.state || 'open';
  marker(lonlat, state, 10).addTo(problemLayer);
  drawnStates.add(state);
  map.setView([lonlat[1], lonlat[0]], 16, { animate: false });
} else {
  const data = JSON.parse(document.getElementById('problem-points').textContent);
  truncated = data.truncated;
  for (const point of data.points) {
    if (!point.lonlat) continue;
    const dot = marker(point.lonlat, point.state, 7);
    dot.bindTooltip(`${point.label} · ${text.states[point.state] || ''}`);
    // One click opens the problem, as its row's link does.
    dot.on('click', () => { window.location.assign(point.url); });
    dot.addTo(problemLayer);
    markersById.set(String(point.id), dot);
    drawnStates.add(point.state);
  }
  if (problemLayer.getLayers().length) {
    // Room on the left for the legend, which is open on a wide screen (basemap.js legendControl).
    const left = window.innerWidth >= 700 ? 150 : 24;
    map.fitBounds(problemLayer.getBounds(), {
      paddingTopLeft: [left, 24], paddingBottomRight: [24, 24], maxZoom: 15, animate: false,
    });
  }
}
element.dataset.pointCount = String(problemLayer.getLayers().length);

const statusBox = el('div', 'map-status');
statusBox.setAttribute('role', 'status');
if (!detail && !problemLayer.getLayers().length) statusBox.textContent = text.no_location;
else if (truncated) statusBox.textContent = text.truncated;
statusBox.hidden = !statusBox.textContent;
element.after(statusBox);

legendControl((box) => {
  box.append(el('summary', null, text.legend));
  // Every class in legend order, so an absent colour reads as "none of these".
  for (const [state, label] of Object.entries(text.states)) {
    if (detail && !drawnStates.has(state)) continue;
    const row = el('div', 'legend-row');
    const swatch = el('span', `swatch problem-swatch problem-swatch-${state}`);
    row.append(swatch, document.createTextNode(label));
    box.append(row);
  }
  const network = el('div', 'legend-row');
  network.append(el('span', 'swatch network'), document.createTextNode(text.network));
  box.append(network);
}).addTo(map);
L.control.layers(bases, null, { collapsed: true }).addTo(map);

// On the list, pointing at a row lights up its problem on the map.
document.querySelectorAll('tr[data-id]').forEach((row) => {
  const dot = markersById.get(row.dataset.id);
  if (!dot) return;
  row.addEventListener('mouseenter', () => { dot.setStyle({ weight: 4, radius: 10 }); dot.bringToFront(); });
  row.addEventListener('mouseleave', () => dot.setStyle({ weight: 2, radius: 7 }));
});

window.riverwatchProblemMap = { map, markersById };
drawFaintNetwork(map, element, problemLayer, statusBox, text.load_failed);
