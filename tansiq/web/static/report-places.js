/* Reports on the map: a marker at each place of each report the viewer may read
 * (/api/reports.geojson leaves out the rest), whose popup links to the report's page. */

import { h } from './dom.js';
import { formatMoment, tlpBadge } from './marking.js';
import { t } from './strings.js';

/** A page of this node, under the path it is served at (the API's base without /api). */
function pageUrl(path) {
  const base = (document.body.dataset.apiBase || '/api').replace(/\/api$/, '');
  return base + path;
}

/** Attributes of text written in the report's language (any of three, either direction). */
function textAttrs(props) {
  return props.lang ? { dir: 'auto', lang: props.lang } : { dir: 'auto' };
}

function reportPopup(props) {
  const link = h('a', {
    className: 'button button-small popup-link',
    attrs: {
      href: pageUrl('/reports/' + encodeURIComponent(props.report_id)),
      'data-testid': 'report-link',
    },
  }, t('reportPlaces.open'));
  const fields = h('dl', { className: 'popup-fields' },
    h('dt', null, t('reportPlaces.date')),
    h('dd', { attrs: { 'data-field': 'date' } },
      formatMoment(props.published || props.version)),
    h('dt', null, t('reportPlaces.place')),
    h('dd', { attrs: { 'data-field': 'place', dir: 'auto' } }, props.place || t('popup.unknown')),
    h('dt', null, t('reportPlaces.marking')),
    h('dd', { attrs: { 'data-field': 'marking' } }, tlpBadge(props.tlp)));
  const content = h('div', {
    className: 'popup popup-report',
    attrs: { 'data-testid': 'report-popup', 'data-report': props.report_id },
  },
  h('p', { className: 'popup-kicker' }, t('reportPlaces.kicker')),
  h('h3', { className: 'popup-title', attrs: textAttrs(props) }, props.title || ''));
  if (props.first_line) {
    content.append(h('p', { className: 'popup-summary', attrs: textAttrs(props) },
      props.first_line));
  }
  content.append(fields, link);
  return content;
}

function reportMarker(feature) {
  const props = feature.properties || {};
  const [lon, lat] = feature.geometry.coordinates;
  const marker = L.marker([lat, lon], {
    icon: L.divIcon({ className: 'report-marker', html: '', iconSize: [16, 16] }),
    title: t('reportPlaces.markerTitle', { title: props.title || '' }),
    keyboard: true,
    riseOnHover: true,
    zIndexOffset: 500,
  });
  marker.bindPopup(() => reportPopup(props), { maxWidth: 320, minWidth: 220 });
  return marker;
}

/** Replace what `group` shows with the report places of a FeatureCollection. */
export function showReportPlaces(group, collection) {
  group.clearLayers();
  (collection.features || [])
    .filter((f) => f.geometry && f.geometry.type === 'Point')
    .forEach((feature) => reportMarker(feature).addTo(group));
}
