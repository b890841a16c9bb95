// Picking where something happened: the phone's GPS (one good fix), or a tap on the map.
import { CONFIG, t } from './common.js';

export class LocationPicker {
  constructor(map, statusBox, onChange = () => {}) {
    this.map = map;
    this.statusBox = statusBox;
    this.onChange = onChange;
    this.value = null;  // {lon, lat, source: 'gps' | 'map', accuracy}
    this.marker = null;
    map.on('click', (event) => this.set({ lon: event.latlng.lng, lat: event.latlng.lat, source: 'map' }));
  }

  set(value) {
    this.value = value;
    const latlng = [value.lat, value.lon];
    if (!this.marker) {
      this.marker = L.circleMarker(latlng, { radius: 9, color: '#fff', weight: 3, fillColor: '#e03131', fillOpacity: 1, className: 'rw-picked' }).addTo(this.map);
    } else {
      this.marker.setLatLng(latlng);
    }
    this.map.setView(latlng, Math.max(this.map.getZoom(), 16));
    this.statusBox.textContent = value.source === 'gps' ? t('location_gps', { m: Math.round(value.accuracy) }) : t('location_map');
    this.statusBox.dataset.state = 'set';
    this.onChange(value);
  }

  // Watches for up to 30 s and keeps the best fix within the accuracy limit; a map tap wins over it.
  locate() {
    if (!('geolocation' in navigator)) { this.statusBox.textContent = t('gps_unsupported'); return; }
    this.statusBox.textContent = t('gps_waiting');
    let best = null;
    const id = navigator.geolocation.watchPosition((position) => {
      const { longitude, latitude, accuracy } = position.coords;
      if (this.value && this.value.source === 'map') { navigator.geolocation.clearWatch(id); return; }
      if (accuracy > CONFIG.gps_max_accuracy_m) {
        this.statusBox.textContent = t('gps_poor', { m: Math.round(accuracy) });
        return;
      }
      if (!best || accuracy < best.accuracy) {
        best = { lon: longitude, lat: latitude, accuracy, source: 'gps' };
        this.set(best);
      }
      if (accuracy <= 15) navigator.geolocation.clearWatch(id);
    }, (error) => {
      if (error.code === error.PERMISSION_DENIED) { this.statusBox.textContent = t('gps_denied'); navigator.geolocation.clearWatch(id); }
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
    setTimeout(() => navigator.geolocation.clearWatch(id), 30000);
  }
}
