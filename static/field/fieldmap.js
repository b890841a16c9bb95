// The phone map: a basemap if one loads, and always the river network and the district outline,
// which the service worker keeps for offline use.
import { districtMap } from '../js/basemap.js';
import { fetchJSONResponse } from '../js/util.js';
import { CONFIG, TEXT } from './page.js';

const STYLE = {
  river: { color: '#0b5cad', weight: 5, opacity: 0.9, className: 'rw-waterway rw-river' },
  gully: { color: '#3d9be9', weight: 2.5, opacity: 0.9, className: 'rw-waterway rw-gully' },
  outline: { color: '#5b6470', weight: 2, dashArray: '6 4', fill: false, className: 'rw-outline', interactive: false },
};

// The same cache the service worker keeps the network in: what this page has just downloaded is not
// downloaded a second time for offline use.
const DATA_CACHE = 'rw-data';

async function jsonKeptOffline(url) {
  const response = await fetchJSONResponse(url);
  if ('caches' in window && !response.redirected) {
    await caches.open(DATA_CACHE).then((cache) => cache.put(url, response.clone())).catch(() => {});
  }
  return response.json();
}

function textNode(value) {
  const span = document.createElement('span');
  span.textContent = value;
  return span;
}

export function fieldMap(element) {
  const { map } = districtMap(element, TEXT);
  // The network in a pane of its own under the overlays: it arrives after a resumed patrol's track
  // is redrawn, and must not cover it.
  map.createPane('rw-network').style.zIndex = 350;
  const network = L.featureGroup().addTo(map);
  const ready = Promise.allSettled([
    jsonKeptOffline(CONFIG.urls.district).then((outline) => L.geoJSON(outline, { style: STYLE.outline, pane: 'rw-network' }).addTo(network)),
    jsonKeptOffline(CONFIG.urls.waterways).then((waterways) => L.geoJSON(waterways, {
      pane: 'rw-network',
      style: (feature) => (feature.properties.kind === 'river' ? STYLE.river : STYLE.gully),
      // As text: a name typed into the admin is never read as HTML.
      onEachFeature: (feature, layer) => layer.bindTooltip(textNode(feature.properties.name), { sticky: true }),
    }).addTo(network)),
  ]).then((results) => {
    element.dataset.networkLoaded = results.every((result) => result.status === 'fulfilled') ? 'yes' : 'partial';
    return network;
  });
  return { map, network, ready };
}
