// Basemaps. Tianditu tiles are CGCS2000 and line up with phone GPS; Amap/Tencent (GCJ-02)
// would be offset by ~550 m here, so they are deliberately not offered.
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
