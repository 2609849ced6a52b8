/* The map of the operations and border pages: Leaflet over the node's own vector layers
 * (governorates, disputed territories, the Syria border); there is no base map. Controls
 * mirror in Arabic and Kurdish. */

import { getJson } from './api.js';
import { cssColour } from './dom.js';
import { RTL, t } from './strings.js';

export const IRAQ_BOUNDS = [[29.06, 38.79], [37.38, 48.57]];
export const START = RTL ? 'right' : 'left';
export const END = RTL ? 'left' : 'right';

const BASE_LAYERS = [
  ['adm1', () => ({ color: cssColour('adm1') || '#5b6770', weight: 1.2, fillColor: cssColour('land') || '#f4f1ea', fillOpacity: 1 })],
  ['disputed', () => ({ color: cssColour('disputed') || '#e07b00', weight: 1.2, fillColor: '#e07b00', fillOpacity: 0.12 })],
  ['syria-border', () => ({ color: cssColour('syria') || '#8e24aa', weight: 3, opacity: 0.6 })],
];

/** A map in element `id`, fitted to Iraq, with the node's borders drawn under everything
 * else; resolves `ready` when the borders are in (or could not be loaded: `failed`). */
export function baseMap(id, options = {}) {
  const map = L.map(id, {
    zoomControl: false, zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 4, maxZoom: 16,
    maxBounds: L.latLngBounds(IRAQ_BOUNDS).pad(1), ...options,
  });
  map.createPane('base').style.zIndex = '250';
  L.control.zoom({
    position: 'top' + START, zoomInTitle: t('zoomIn'), zoomOutTitle: t('zoomOut'),
  }).addTo(map);
  L.control.scale({ imperial: false, position: 'bottom' + START }).addTo(map);
  map.attributionControl.setPosition('bottom' + END);
  map.attributionControl.setPrefix(t('attribution.prefix'));
  map.attributionControl.addAttribution(t('attribution.cod'));
  map.fitBounds(IRAQ_BOUNDS, { padding: [8, 8] });
  const ready = Promise.all(BASE_LAYERS.map(async ([name, style]) => {
    const geojson = await getJson('/layers/' + name);
    L.geoJSON(geojson, { pane: 'base', interactive: false, style }).addTo(map);
  })).then(() => 'ready', () => 'failed').then((result) => {
    map.getContainer().dataset.layers = result;
    return result;
  });
  return { map, ready };
}
