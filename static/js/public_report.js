// The public report page (templates/public/report.html): where the problem is (the phone's GPS or
// a tap on the waterway's map, into the hidden lon/lat fields), a preview of the chosen photo, and
// no double submission. The server checks everything again.
import { districtMap } from './basemap.js';

const text = JSON.parse(document.getElementById('map-text').textContent);
const line = JSON.parse(document.getElementById('waterway-line').textContent);
const form = document.getElementById('report-form');
const mapBox = document.getElementById('report-map');
const statusBox = document.getElementById('location-status');
const lonInput = document.getElementById('id_lon');
const latInput = document.getElementById('id_lat');

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
}

// --- where ---
const { map } = districtMap(mapBox, text);
let marker = null;
let pickedOnMap = false;

function place(lon, lat, message) {
  lonInput.value = lon.toFixed(6);
  latInput.value = lat.toFixed(6);
  const latlng = [lat, lon];
  if (marker) marker.setLatLng(latlng);
  else marker = L.circleMarker(latlng, { radius: 10, color: '#fff', weight: 3, fillColor: '#e03131', fillOpacity: 1, className: 'rw-picked' }).addTo(map);
  map.setView(latlng, Math.max(map.getZoom(), 15));
  statusBox.textContent = message;
  mapBox.dataset.picked = 'yes';
}

if (line) {
  const layer = L.geoJSON(line, { style: { color: '#0b5cad', weight: 5, opacity: 0.9, className: 'rw-waterway' }, interactive: false }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 15, animate: false });
}
// A form shown again (a refusal) keeps the place picked before.
const lon0 = parseFloat(lonInput.value);
const lat0 = parseFloat(latInput.value);
if (Number.isFinite(lon0) && Number.isFinite(lat0)) place(lon0, lat0, text.location_map);

map.on('click', (event) => {
  pickedOnMap = true;
  place(event.latlng.lng, event.latlng.lat, text.location_map);
});

document.getElementById('use-gps').addEventListener('click', () => {
  if (!('geolocation' in navigator)) { statusBox.textContent = text.gps_unsupported; return; }
  pickedOnMap = false;
  statusBox.textContent = text.gps_waiting;
  navigator.geolocation.getCurrentPosition((position) => {
    if (pickedOnMap) return;  // a tap on the map while waiting wins
    const { longitude, latitude, accuracy } = position.coords;
    place(longitude, latitude, fill(text.location_gps, { m: Math.round(accuracy) }));
  }, (error) => {
    statusBox.textContent = error.code === error.PERMISSION_DENIED ? text.gps_denied : text.gps_failed;
  }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
});
mapBox.dataset.ready = 'yes';
window.publicReportMap = map;  // for the browser tests, as on the other map pages

// --- the photo: one of two inputs (camera, album) ---
const inputs = [document.getElementById('photo-camera'), document.getElementById('photo-album')];
const preview = document.getElementById('photo-preview');
const previewImage = document.getElementById('photo-preview-img');
const photoStatus = document.getElementById('photo-status');
const maxBytes = Number(form.dataset.photoMaxBytes);
let previewUrl = null;

for (const input of inputs) {
  input.addEventListener('change', () => {
    const file = input.files[0];
    if (!file) return;
    for (const other of inputs) if (other !== input) other.value = '';
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    if (file.size > maxBytes) {
      input.value = '';
      preview.hidden = true;
      photoStatus.textContent = fill(text.photo_too_large, { size: (file.size / 1e6).toFixed(1), max: Math.round(maxBytes / 1e6) });
      return;
    }
    previewUrl = URL.createObjectURL(file);
    previewImage.src = previewUrl;
    preview.hidden = false;
    photoStatus.textContent = file.name;
  });
}

// --- one submission at a time (a photo takes a while on a slow connection) ---
form.addEventListener('submit', () => {
  const button = document.getElementById('submit');
  button.disabled = true;
  button.textContent = text.sending;
});
// Back to the page from the browser's history: the button works again.
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  const button = document.getElementById('submit');
  button.disabled = false;
});
