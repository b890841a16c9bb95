// The office's new-problem form (templates/problems/problem_new.html): a tap on the map fills the
// lon/lat fields, typed lon/lat move the marker, and the deputy's select shows only for a deputy's
// suggestion. The server checks the place against the district again.
import { districtMap } from './basemap.js';
import { fetchJSON } from './util.js';

const text = JSON.parse(document.getElementById('problem-map-text').textContent);
const form = document.getElementById('new-problem-form');
const mapBox = document.getElementById('pick-map');
const statusBox = document.getElementById('pick-status');
const lonInput = document.getElementById('id_lon');
const latInput = document.getElementById('id_lat');
const deputyField = document.getElementById('deputy-field');
const deputySelect = document.getElementById('id_deputy');

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
}

const { map } = districtMap(mapBox, text);
map.createPane('rw-network').style.zIndex = 350;
let marker = null;

function show(lon, lat, { centre = false } = {}) {
  const latlng = [lat, lon];
  if (marker) marker.setLatLng(latlng);
  else marker = L.circleMarker(latlng, { radius: 10, color: '#fff', weight: 3, fillColor: '#e03131', fillOpacity: 1, className: 'rw-picked' }).addTo(map);
  if (centre) map.setView(latlng, Math.max(map.getZoom(), 14), { animate: false });
  statusBox.textContent = fill(text.picked, { lon: lon.toFixed(6), lat: lat.toFixed(6) });
  mapBox.dataset.picked = 'yes';
}

function fromInputs(centre) {
  const lon = parseFloat(lonInput.value);
  const lat = parseFloat(latInput.value);
  if (Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) show(lon, lat, { centre });
}

map.on('click', (event) => {
  lonInput.value = event.latlng.lng.toFixed(6);
  latInput.value = event.latlng.lat.toFixed(6);
  show(event.latlng.lng, event.latlng.lat);
});
lonInput.addEventListener('change', () => fromInputs(true));
latInput.addEventListener('change', () => fromInputs(true));
fromInputs(true);  // a form shown again keeps the place picked before

function deputyShown() {
  const source = form.querySelector('input[name="source"]:checked');
  const needed = Boolean(source) && source.value === 'deputy';
  deputyField.hidden = !needed;
  deputySelect.required = needed;
}
form.querySelectorAll('input[name="source"]').forEach((input) => input.addEventListener('change', deputyShown));
deputyShown();

Promise.allSettled([fetchJSON(mapBox.dataset.districtUrl), fetchJSON(mapBox.dataset.waterwaysUrl)]).then(([outline, waterways]) => {
  if (outline.status === 'fulfilled') {
    const layer = L.geoJSON(outline.value, {
      pane: 'rw-network', interactive: false,
      style: { color: '#8a94a0', weight: 1.5, dashArray: '5 4', fill: false },
    }).addTo(map);
    if (!marker) map.fitBounds(layer.getBounds(), { animate: false });
  }
  if (waterways.status === 'fulfilled') {
    L.geoJSON(waterways.value, {
      pane: 'rw-network', interactive: false,
      style: (feature) => ({ color: '#5b9bd5', opacity: 0.6, weight: feature.properties.kind === 'river' ? 4 : 1.5 }),
    }).addTo(map);
  }
  mapBox.dataset.ready = 'true';
});
