// What every map page shares: the basemaps, the starting view, the foldable legend and the faint network.
// Basemaps: Tianditu tiles are CGCS2000 and line up with phone GPS; Amap/Tencent (GCJ-02)
// would be offset by ~550 m here, so they are deliberately not offered.
import { fetchJSON } from './util.js';

const TIANDITU = 'https://t{s}.tianditu.gov.cn/DataServer?T={layer}&X={x}&Y={y}&L={z}&tk={key}';

function tianditu(layer, key) {
  return L.tileLayer(TIANDITU, { layer, key, subdomains: '01234567', maxZoom: 18, attribution: '天地图' });
}

export function basemapLayers(tiandituKey, text) {
  const layers = {};
  if (tiandituKey) {
    layers[text.tianditu_vector] = L.layerGroup([tianditu('vec_w', tiandituKey), tianditu('cva_w', tiandituKey)]);
    layers[text.tianditu_imagery] = L.layerGroup([tianditu('img_w', tiandituKey), tianditu('cia_w', tiandituKey)]);
  }
  layers.OpenStreetMap = L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
    maxZoom: 19,
    attribution: '© OpenStreetMap contributors',
  });
  // Without tiles (no network, no key) the river network and outline still draw on this.
  layers[text.no_basemap] = L.layerGroup();
  return layers;
}

// A map over the district with the first basemap shown and a metric scale. Returns the map and
// every basemap, for the page's layer switcher.
export function districtMap(element, text, { maxZoom = 18 } = {}) {
  const map = L.map(element, { minZoom: 8, maxZoom }).setView([32.66, 110.66], 11);
  // Leaflet's default prefix carries a flag; the attribution that matters is the basemap's own.
  map.attributionControl.setPrefix(false);
  const bases = basemapLayers(element.dataset.tiandituKey, text);
  Object.values(bases)[0].addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  return { map, bases };
}

// A legend in a <details>, so that on a phone it folds away instead of covering the map.
// fill(box) adds the rows.
export function legendControl(fill) {
  const control = L.control({ position: 'bottomleft' });
  control.onAdd = () => {
    const box = L.DomUtil.create('details', 'map-legend');
    box.open = window.innerWidth >= 700;
    fill(box);
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  return control;
}

// The district's outline and waterways drawn faintly under a page's own layer (pane 'rw-network'),
// fitted to the outline when `ownLayer` holds nothing. A failed fetch says so in `statusBox`.
// Marks the map element ready when done, for the browser tests.
export async function drawFaintNetwork(map, element, ownLayer, statusBox, failedText) {
  const [outline, waterways] = await Promise.allSettled([
    fetchJSON(element.dataset.districtUrl),
    fetchJSON(element.dataset.waterwaysUrl),
  ]);
  if (outline.status === 'fulfilled') {
    const layer = L.geoJSON(outline.value, {
      pane: 'rw-network', interactive: false,
      style: { color: '#8a94a0', weight: 1.5, dashArray: '5 4', fill: false, className: 'rw-outline' },
    }).addTo(map);
    if (!ownLayer.getLayers().length) map.fitBounds(layer.getBounds(), { animate: false });
  }
  if (waterways.status === 'fulfilled') {
    L.geoJSON(waterways.value, {
      pane: 'rw-network', interactive: false,
      style: (feature) => ({
        color: '#5b9bd5', opacity: 0.55, weight: feature.properties.kind === 'river' ? 4 : 1.5, className: 'rw-network',
      }),
    }).addTo(map);
  }
  const failed = [outline, waterways].filter((result) => result.status === 'rejected');
  failed.forEach((result) => console.error(result.reason));
  if (failed.length) {
    statusBox.textContent = failedText;
    statusBox.classList.add('error');
    statusBox.hidden = false;
  }
  element.dataset.ready = 'true';
}
