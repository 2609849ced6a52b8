/* The border view: the Syria border's sectors (GET /api/border/sectors.geojson) on the map,
 * coloured by the observations (GET /api/border/observations: what is released to the viewer)
 * and alerts (GET /api/border/alerts: the viewer's partner's) of the last seven days; the
 * observations as points, the alerts and the sectors' units in lists. */

import { h } from './dom.js';
import { formatWhen, getJson, setStatus } from './ops-common.js';
import { baseMap } from './ops-map.js';
import { LANG, formatNumber, t } from './strings.js';

const RECENT_MS = 7 * 24 * 3600 * 1000;
const COLOURS = { quiet: '#2e7d32', observed: '#e07b00', alert: '#c62828' };
const status = document.querySelector('[data-testid="status"]');
const table = document.querySelector('[data-testid="sectors"]');
const { map } = baseMap('border-map');
const sectorLayer = L.layerGroup().addTo(map);
const observationLayer = L.layerGroup().addTo(map);

function sectorName(p) {
  return (LANG === 'en' ? p.name_en : p.name_ar || p.name_en) || p.id;
}

function level(id, counts, alerted) {
  if (alerted.has(id)) return 'alert';
  return counts.get(id) ? 'observed' : 'quiet';
}

function popup(p, count, alerts) {
  return h('div', { attrs: { 'data-testid': 'sector-popup' } },
    h('strong', null, sectorName(p)),
    h('p', null, t('border.unit', { unit: p.unit || t('ops.none'), partner: p.partner || t('ops.none') })),
    h('p', null, t('border.recent', { observations: formatNumber(count), alerts: formatNumber(alerts) })));
}

function alertItem(a) {
  return h('li', { attrs: { 'data-testid': 'border-alert', 'data-sector': a.sector } },
    h('strong', null, a.sector_name || a.sector), ' · ',
    t('border.alertText', { n: formatNumber(a.observations), from: formatWhen(a.first_at), to: formatWhen(a.last_at) }),
    a.task ? h('span', null, ' · ', h('a', { attrs: { href: (document.body.dataset.apiBase || '/api').replace(/\/api$/, '') + '/tasks' } }, t('border.task', { id: a.task }))) : null);
}

function observationItem(o) {
  return h('li', { attrs: { 'data-testid': 'border-observation' } },
    t('border.kinds.' + o.kind), ' · ', o.sector || t('border.noSector'), ' · ', formatWhen(o.observed_at), ' · ', o.partner,
    o.text ? h('p', { className: 'hint' }, o.text) : null);
}

async function load() {
  setStatus(status, 'loading', t('ops.loading'));
  try {
    const [sectors, observations, alerts] = await Promise.all([
      getJson('/border/sectors.geojson'),
      getJson('/border/observations', { limit: 1000 }),
      getJson('/border/alerts'),
    ]);
    const since = Date.now() - RECENT_MS;
    const recent = observations.items.filter((o) => new Date(o.observed_at).getTime() >= since);
    const counts = new Map();
    recent.forEach((o) => counts.set(o.sector, (counts.get(o.sector) || 0) + 1));
    const alertCounts = new Map();
    alerts.items.filter((a) => new Date(a.raised_at).getTime() >= since)
      .forEach((a) => alertCounts.set(a.sector, (alertCounts.get(a.sector) || 0) + 1));
    const alerted = new Set(alertCounts.keys());
    sectorLayer.clearLayers();
    L.geoJSON(sectors, {
      style: (f) => ({ color: COLOURS[level(f.id, counts, alerted)], weight: 6, opacity: 0.9, className: 'sector-line sector-' + level(f.id, counts, alerted) }),
      onEachFeature: (f, layer) => {
        layer.bindPopup(() => popup(f.properties, counts.get(f.id) || 0, alertCounts.get(f.id) || 0));
        layer.bindTooltip(sectorName(f.properties));
      },
    }).addTo(sectorLayer);
    observationLayer.clearLayers();
    observations.items.forEach((o) => L.circleMarker([o.lat, o.lon], {
      radius: 5, color: '#1c252c', weight: 1, fillColor: '#ffd54f', fillOpacity: 0.9, className: 'observation-marker',
    }).bindTooltip(t('border.kinds.' + o.kind)).addTo(observationLayer));
    table.tBodies[0].replaceChildren(...sectors.features.map((f) => {
      const p = f.properties;
      return h('tr', { attrs: { 'data-testid': 'sector', 'data-id': f.id, 'data-level': level(f.id, counts, alerted) } },
        h('th', { attrs: { scope: 'row' } }, sectorName(p), ' ', h('code', { attrs: { dir: 'ltr' } }, f.id)),
        h('td', { attrs: { dir: 'ltr' } }, p.district || ''),
        h('td', null, t('border.km', { km: formatNumber(Math.round(p.length_km * 10) / 10) })),
        h('td', null, p.unit || t('ops.none')),
        h('td', null, p.partner || t('ops.none')),
        h('td', null, formatNumber(counts.get(f.id) || 0)),
        h('td', null, formatNumber(alertCounts.get(f.id) || 0)));
    }));
    table.hidden = sectors.features.length === 0;
    document.querySelector('[data-testid="alerts"]').replaceChildren(...(alerts.items.length
      ? alerts.items.map(alertItem) : [h('li', { className: 'list-empty' }, t('border.noAlerts'))]));
    document.querySelector('[data-testid="observations"]').replaceChildren(...(observations.items.length
      ? observations.items.slice(0, 50).map(observationItem)
      : [h('li', { className: 'list-empty' }, t('border.noObservations'))]));
    if (sectors.features.length) setStatus(status, null);
    else setStatus(status, 'empty', t('border.noSectors'));
    map.getContainer().dataset.sectors = String(sectors.features.length);
  } catch (error) {
    setStatus(status, 'error', error.message);
    map.getContainer().dataset.sectors = 'failed';
  }
}

load();
