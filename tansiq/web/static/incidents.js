/* Incidents on the map: markers coloured by type and sized by fatalities, clustered, with a
 * popup of what happened. */

import { isYes } from './api.js';
import { cssColour, h } from './dom.js';
import { formatDate, formatNumber, t } from './strings.js';

/** The four kinds the map colours by, in legend order; each is also a CSS class `kind-*`. */
export const KINDS = ['state', 'nonstate', 'onesided', 'other'];

/** The kind of an incident, whatever the exact wording of its `incident_type`. */
export function incidentKind(incidentType) {
  const type = String(incidentType || '').toLowerCase().replace(/[^a-z]+/g, '-');
  if (type.startsWith('state')) return 'state';
  if (type.startsWith('non-state') || type.startsWith('nonstate')) return 'nonstate';
  if (type.startsWith('one-sided') || type.startsWith('onesided')) return 'onesided';
  return 'other';
}

/** Marker diameter in pixels: area grows with fatalities, within limits a map can show. */
export function markerDiameter(fatalities) {
  const deaths = Math.max(0, Number(fatalities) || 0);
  return Math.round(Math.min(30, 9 + 2.1 * Math.sqrt(deaths)));
}

function dateText(props) {
  if (props.date_end && props.date_end !== props.date) {
    return t('popup.dateRange', { from: formatDate(props.date), to: formatDate(props.date_end) });
  }
  return props.date ? formatDate(props.date) : t('popup.unknown');
}

function actorsText(props) {
  const first = props.actor1 || t('popup.unknown');
  return props.actor2 ? t('popup.versus', { a: first, b: props.actor2 }) : first;
}

function incidentPopup(props) {
  const kind = incidentKind(props.incident_type);
  const content = h('div', {
    className: 'popup popup-incident',
    attrs: { 'data-testid': 'incident-popup' },
  });
  content.append(
    h('p', { className: 'popup-kicker kind-' + kind },
      h('span', { className: 'dot kind-' + kind, attrs: { 'aria-hidden': 'true' } }),
      t('types.' + kind)),
    h('h3', { className: 'popup-title' }, props.place || t('popup.unknown')),
  );
  const typeText = [props.incident_type, props.sub_type].filter(Boolean).join(' · ');
  const fields = h('dl', { className: 'popup-fields' });
  [
    ['date', dateText(props)],
    ['type', typeText || t('popup.unknown')],
    ['actors', actorsText(props)],
    ['fatalities', props.fatalities == null ? t('popup.unknown') : formatNumber(props.fatalities)],
    ['place', props.place || t('popup.unknown')],
    ['headline', props.headline || t('popup.none')],
    ['source', [props.source, props.source_id].filter(Boolean).join(' ')],
  ].forEach(([key, value]) => {
    fields.append(h('dt', null, t('popup.' + key)),
      h('dd', { attrs: { 'data-field': key } }, value));
  });
  content.append(fields);
  if (isYes(props.disputed)) {
    content.append(h('p', { className: 'badges' },
      h('span', { className: 'badge badge-disputed' }, t('flags.disputed'))));
  }
  return content;
}

/** The marker of one incident feature (a GeoJSON pointToLayer function). */
export function incidentMarker(feature, latlng) {
  const props = feature.properties || {};
  const kind = incidentKind(props.incident_type);
  const size = markerDiameter(props.fatalities);
  const marker = L.marker(latlng, {
    icon: L.divIcon({ className: 'incident kind-' + kind, html: '', iconSize: [size, size] }),
    title: t('markerTitle', { date: props.date || '', type: t('types.' + kind) }),
    keyboard: true,
    riseOnHover: true,
  });
  marker.kind = kind;
  marker.fatalities = Math.max(0, Number(props.fatalities) || 0);
  marker.bindPopup(() => incidentPopup(props), { maxWidth: 340, minWidth: 240 });
  return marker;
}

/** A cluster shows its count; its ring is a pie of the kinds it holds. */
function clusterIcon(cluster, colours) {
  const markers = cluster.getAllChildMarkers();
  const byKind = Object.fromEntries(KINDS.map((kind) => [kind, 0]));
  let fatalities = 0;
  markers.forEach((marker) => {
    byKind[marker.kind] += 1;
    fatalities += marker.fatalities;
  });
  const count = markers.length;
  let start = 0;
  const stops = KINDS.filter((kind) => byKind[kind] > 0).map((kind) => {
    const end = start + (byKind[kind] / count) * 360;
    const stop = `${colours[kind]} ${start.toFixed(1)}deg ${end.toFixed(1)}deg`;
    start = end;
    return stop;
  });
  const size = count < 10 ? 30 : count < 100 ? 36 : count < 1000 ? 42 : 48;
  const ring = h('div', {
    className: 'cluster-ring',
    attrs: {
      title: t('cluster', { count: formatNumber(count), fatalities: formatNumber(fatalities) }),
    },
  }, h('span', { className: 'cluster-count' }, formatNumber(count)));
  ring.style.background = `conic-gradient(${stops.join(', ')})`;
  return L.divIcon({ html: ring, className: 'cluster', iconSize: [size, size] });
}

/** The clustered layer the incidents go in. */
export function createIncidentLayer() {
  const colours = Object.fromEntries(KINDS.map((kind) => [kind, cssColour(kind)]));
  return L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 45,
    spiderfyOnMaxZoom: true,
    iconCreateFunction: (cluster) => clusterIcon(cluster, colours),
  });
}
