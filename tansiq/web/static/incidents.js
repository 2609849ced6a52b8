/* Incidents on the map, as the node's viewport answers for the view (/api/incidents/viewport):
 * zoomed out, a circle per grid cell with its count, coloured by its most common type, that
 * zooms in when clicked; zoomed in, a marker per incident coloured by type and sized by
 * fatalities, clustered, whose popup asks the node for the incident's details. */

import { getJson, isYes } from './api.js';
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

/** A page of this node, under the path it is served at (the API's base without /api). */
function pageUrl(path) {
  return (document.body.dataset.apiBase || '/api').replace(/\/api$/, '') + path;
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
  content.append(h('a', {
    className: 'button button-small popup-link',
    attrs: {
      href: pageUrl('/incidents/' + encodeURIComponent(props.id)),
      'data-testid': 'incident-link',
    },
  }, t('popup.openIncident')));
  return content;
}

function waitingPopup(text) {
  return h('div', { className: 'popup popup-waiting', attrs: { 'aria-live': 'polite' } }, text);
}

/** Fill a marker's popup with its incident's details, asked of the node the first time the
 * popup opens. */
function loadDetails(marker, id) {
  let record = null;
  marker.on('popupopen', async () => {
    if (record) return;
    try {
      record = await getJson('/incidents/' + encodeURIComponent(id));
      marker.setPopupContent(incidentPopup(record));
    } catch (error) {
      marker.setPopupContent(waitingPopup(t('popup.failed', { detail: error.message })));
    }
  });
}

/** The marker of one incident of a viewport answer ({id, lat, lon, type, fatalities, date}). */
export function incidentMarker(point) {
  const kind = incidentKind(point.type);
  const size = markerDiameter(point.fatalities);
  const marker = L.marker([point.lat, point.lon], {
    icon: L.divIcon({ className: 'incident kind-' + kind, html: '', iconSize: [size, size] }),
    title: t('markerTitle', { date: point.date || '', type: t('types.' + kind) }),
    keyboard: true,
    riseOnHover: true,
  });
  marker.kind = kind;
  marker.fatalities = Math.max(0, Number(point.fatalities) || 0);
  marker.bindPopup(waitingPopup(t('popup.loading')), { maxWidth: 340, minWidth: 240 });
  loadDetails(marker, point.id);
  return marker;
}

/** The type with most incidents in a grid cell's {type: count}, as one of KINDS. */
export function dominantKind(types) {
  const byKind = Object.fromEntries(KINDS.map((kind) => [kind, 0]));
  Object.entries(types || {}).forEach(([type, count]) => {
    byKind[incidentKind(type)] += Number(count) || 0;
  });
  return KINDS.reduce((best, kind) => (byKind[kind] > byKind[best] ? kind : best), KINDS[0]);
}

/** A grid cell's circle: sized by its count, coloured by its most common type. */
export function gridCellMarker(cell, onChoose) {
  const kind = dominantKind(cell.types);
  const size = Math.round(Math.min(42, 20 + 6 * Math.log10(Math.max(1, cell.count))));
  const title = t('cluster', {
    count: formatNumber(cell.count), fatalities: formatNumber(cell.fatalities || 0),
  });
  const marker = L.marker([cell.lat, cell.lon], {
    icon: L.divIcon({
      className: 'cluster grid-cell kind-' + kind,
      html: h('span', { className: 'grid-count' }, formatNumber(cell.count)),
      iconSize: [size, size],
    }),
    title: t('gridTitle', { cell: title }),
    keyboard: true,
    riseOnHover: true,
  });
  marker.on('click', () => onChoose(cell));
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
function createIncidentLayer() {
  const colours = Object.fromEntries(KINDS.map((kind) => [kind, cssColour(kind)]));
  return L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 45,
    spiderfyOnMaxZoom: true,
    iconCreateFunction: (cluster) => clusterIcon(cluster, colours),
  });
}

/**
 * The incidents overlay. `show(answer)` draws a viewport answer: its grid cells, or its
 * incidents (clustered). Markers of incidents still in view are kept, so that a popup open on
 * one stays open while the map moves. `onChooseCell(cell)` runs when a cell is clicked.
 */
export function createIncidentOverlay(onChooseCell) {
  const points = createIncidentLayer();
  const cells = L.layerGroup();
  const shown = new Map();

  function showPoints(list) {
    const wanted = new Map(list.map((point) => [String(point.id), point]));
    const gone = [...shown.keys()].filter((id) => !wanted.has(id));
    points.removeLayers(gone.map((id) => shown.get(id)));
    gone.forEach((id) => shown.delete(id));
    const fresh = [...wanted].filter(([id]) => !shown.has(id)).map(([id, point]) => {
      const marker = incidentMarker(point);
      shown.set(id, marker);
      return marker;
    });
    points.addLayers(fresh);
  }

  return {
    layer: L.layerGroup([cells, points]),
    show(answer) {
      cells.clearLayers();
      if (answer.kind === 'grid') {
        showPoints([]);
        (answer.cells || []).forEach((cell) => cells.addLayer(gridCellMarker(cell, onChooseCell)));
      } else {
        showPoints(answer.points || []);
      }
    },
  };
}
