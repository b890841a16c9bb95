// The district's water network: outline, rivers (bold), gullies (thin), deputy stations.
import { districtMap, legendControl } from './basemap.js';
import { escapeHtml, fetchJSON } from './util.js';

const element = document.getElementById('network-map');
const statusBox = document.getElementById('map-status');
const text = JSON.parse(document.getElementById('map-text').textContent);

const { map, bases } = districtMap(element, text);

const STYLE = {
  river: { color: '#0b5cad', weight: 5, opacity: 0.95, className: 'rw-waterway rw-river' },
  gully: { color: '#3d9be9', weight: 2, opacity: 0.9, className: 'rw-waterway rw-gully' },
  outline: { color: '#5b6470', weight: 2, dashArray: '6 4', fillColor: '#fff6d5', fillOpacity: 0.12, className: 'rw-outline' },
};

function waterwayPopup(p) {
  const rows = [
    [text.kind, p.kind_display],
    [text.length, `${(p.length_m / 1000).toFixed(2)} ${text.km}`],
    [text.parent, p.parent_name || '—'],
    [text.town, p.town || '—'],
    [text.accuracy, p.accuracy_display],
  ];
  return `<div class="popup"><h3>${escapeHtml(p.name)} <small>${escapeHtml(p.name_pinyin)}</small></h3>
    <table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
    <p class="popup-code">${escapeHtml(p.code)}</p></div>`;
}

function legend() {
  return legendControl((box) => {
    box.innerHTML = `<summary>${escapeHtml(text.legend)}</summary>
      <div><span class="swatch river"></span>${escapeHtml(text.rivers)}</div>
      <div><span class="swatch gully"></span>${escapeHtml(text.gullies)}</div>
      <div><span class="swatch outline"></span>${escapeHtml(text.outline)}</div>
      <div><span class="swatch station"></span>${escapeHtml(text.stations)}</div>
      <div><span class="swatch reach"></span>${escapeHtml(text.reaches)}</div>`;
  });
}

const layersByCode = new Map();
const overlays = {};

// The 100 m reaches of the waterway whose popup is open, in alternating colours, so a chief
// can see the units that coverage and gaps are counted in.
const reachLayer = L.featureGroup().addTo(map);
const REACH_COLOURS = ['#f59e0b', '#7c3aed'];

async function showReaches(code) {
  reachLayer.clearLayers();
  const url = element.dataset.reachesUrl.replace('CODE', encodeURIComponent(code));
  try {
    const reaches = await fetchJSON(url);
    L.geoJSON(reaches, {
      style: (feature) => ({ color: REACH_COLOURS[feature.properties.seq % 2], weight: 6, opacity: 0.9, className: 'rw-reach' }),
      onEachFeature: (feature, layer) => layer.bindTooltip(
        text.reach_label
          .replace('%(seq)s', feature.properties.seq)
          .replace('%(start)s', Math.round(feature.properties.start_m))
          .replace('%(end)s', Math.round(feature.properties.end_m)),
        { sticky: true }),
    }).addTo(reachLayer);
    element.dataset.reachCount = String(reaches.features.length);
  } catch (error) {
    console.error(error);
  }
}

async function draw() {
  const [outline, waterways, stations] = await Promise.allSettled([
    fetchJSON(element.dataset.districtUrl),
    fetchJSON(element.dataset.waterwaysUrl),
    fetchJSON(element.dataset.stationsUrl),
  ]);

  if (outline.status === 'fulfilled') {
    overlays[text.outline] = L.geoJSON(outline.value, { style: STYLE.outline, interactive: false }).addTo(map);
    map.fitBounds(overlays[text.outline].getBounds(), { padding: [12, 12], animate: false });
  }

  if (waterways.status === 'fulfilled') {
    const byKind = { river: [], gully: [] };
    for (const feature of waterways.value.features) byKind[feature.properties.kind]?.push(feature);
    for (const [kind, label] of [['gully', text.gullies], ['river', text.rivers]]) {
      overlays[label] = L.geoJSON({ type: 'FeatureCollection', features: byKind[kind] }, {
        style: STYLE[kind],
        onEachFeature(feature, layer) {
          layer.bindPopup(waterwayPopup(feature.properties));
          layer.on('popupopen', () => showReaches(feature.properties.code));
          layer.on('popupclose', () => reachLayer.clearLayers());
          layer.bindTooltip(escapeHtml(feature.properties.name), { sticky: true, className: 'rw-tooltip' });
          layersByCode.set(feature.properties.code, layer);
        },
      }).addTo(map);
    }
  }

  if (stations.status === 'fulfilled') {
    overlays[text.stations] = L.geoJSON(stations.value, {
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
        radius: 5, color: '#fff', weight: 1.5, fillColor: '#c2410c', fillOpacity: 0.95, className: 'rw-station',
      }),
      onEachFeature: (feature, layer) => layer.bindPopup(
        `<div class="popup"><h3>${escapeHtml(feature.properties.name)}</h3><p>${escapeHtml(feature.properties.kind_display)} · ${escapeHtml(feature.properties.town)}</p><p class="popup-code">${escapeHtml(text.approximate_position)}</p></div>`),
    }).addTo(map);
  }

  L.control.layers(bases, overlays, { collapsed: window.innerWidth < 700 }).addTo(map);
  legend().addTo(map);

  const failed = [outline, waterways, stations].filter((r) => r.status === 'rejected');
  if (failed.length) {
    statusBox.textContent = text.load_failed;
    statusBox.classList.add('error');
    failed.forEach((r) => console.error(r.reason));
  } else {
    statusBox.textContent = text.loaded.replace('%(n)s', layersByCode.size);
    statusBox.classList.add('done');
  }
  element.dataset.waterwayCount = String(layersByCode.size);
}

document.querySelectorAll('.zoom-to').forEach((button) => {
  button.addEventListener('click', () => {
    const layer = layersByCode.get(button.dataset.code);
    if (!layer) return;
    map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 15 });
    layer.openPopup(layer.getCenter());
  });
});

window.riverwatchMap = { map, overlays, layersByCode };
draw();

// Filter the side list by name, pinyin or code as the user types.
const filterBox = document.getElementById('waterway-filter');
if (filterBox) {
  const rows = [...document.querySelectorAll('.waterway-list tbody tr')];
  const emptyNote = document.querySelector('.filter-empty');
  filterBox.addEventListener('input', () => {
    const needle = filterBox.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const match = !needle || row.dataset.search.includes(needle);
      row.hidden = !match;
      shown += match;
    }
    emptyNote.hidden = shown > 0;
  });
}
