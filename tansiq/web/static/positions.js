/* Partners' positions on the map: a diamond per position in its partner's colour, with its
 * coverage circle (radius in metres), and a popup of what it is. Only positions released to the
 * viewer's partner come from the node (/api/positions.geojson). */

import { h } from './dom.js';
import { formatMoment, tlpBadge } from './marking.js';
import { formatNumber, t } from './strings.js';

/** How many partner colours map.css defines (--partner-1 ...); more partners reuse them. */
const PARTNER_COLOURS = 6;

/** The colour slot of each partner, by the order of their codes: the same on every page load
 * with the same partners. */
export function partnerSlots(features) {
  const codes = [...new Set(features.map((f) => f.properties.partner))].sort();
  return new Map(codes.map((code, i) => [code, (i % PARTNER_COLOURS) + 1]));
}

function radiusText(metres) {
  const m = Math.max(0, Number(metres) || 0);
  if (m >= 1000) {
    return t('positions.kilometres', { n: formatNumber(Math.round(m / 100) / 10) });
  }
  return t('positions.metres', { n: formatNumber(Math.round(m)) });
}

function periodText(props) {
  const from = props.active_from && formatMoment(props.active_from);
  const to = props.active_to && formatMoment(props.active_to);
  if (from && to) return t('positions.between', { from, to });
  if (from) return t('positions.from', { from });
  if (to) return t('positions.until', { to });
  return t('positions.always');
}

function kindText(kind) {
  const text = t('positions.kinds.' + kind);
  return text === 'positions.kinds.' + kind ? kind : text;
}

function positionPopup(props, slot) {
  const fields = h('dl', { className: 'popup-fields' });
  [
    ['kind', kindText(props.kind)],
    ['partner', props.partner_name || props.partner],
    ['radius', radiusText(props.coverage_radius_m)],
    ['active', periodText(props)],
    ['marking', tlpBadge(props.tlp)],
  ].forEach(([key, value]) => {
    fields.append(h('dt', null, t('positions.' + key)),
      h('dd', { attrs: { 'data-field': key } }, value));
  });
  const content = h('div', {
    className: 'popup popup-position',
    attrs: { 'data-testid': 'position-popup' },
  },
  h('p', { className: 'popup-kicker partner-' + slot },
    h('span', { className: 'diamond', attrs: { 'aria-hidden': 'true' } }),
    t('positions.kicker', { kind: kindText(props.kind), partner: props.partner })),
  h('h3', { className: 'popup-title', attrs: { dir: 'auto' } }, props.name || ''),
  fields);
  if (props.synthetic) {
    content.append(h('p', { className: 'badges' }, h('span', {
      className: 'badge badge-synthetic', attrs: { 'data-testid': 'synthetic' },
    }, t('positions.synthetic'))));
  }
  return content;
}

/** The marker and coverage circle of one position feature, in `group`. */
function addPosition(group, feature, slot) {
  const props = feature.properties || {};
  const [lon, lat] = feature.geometry.coordinates;
  L.circle([lat, lon], {
    radius: Math.max(0, Number(props.coverage_radius_m) || 0),
    pane: 'coverage',
    interactive: false,
    className: 'coverage-circle partner-' + slot,
  }).addTo(group);
  const marker = L.marker([lat, lon], {
    icon: L.divIcon({
      className: 'position-marker partner-' + slot,
      html: '',
      iconSize: [14, 14],
    }),
    title: t('positions.markerTitle', { name: props.name || '', partner: props.partner }),
    keyboard: true,
    riseOnHover: true,
    zIndexOffset: 400,
  });
  marker.bindPopup(() => positionPopup(props, slot), { maxWidth: 320, minWidth: 220 });
  marker.addTo(group);
}

/** Replace what `group` shows with the positions of a FeatureCollection; returns the colour
 * slot of each partner, for the legend. */
export function showPositions(group, collection) {
  const features = (collection.features || []).filter(
    (f) => f.geometry && f.geometry.type === 'Point');
  const slots = partnerSlots(features);
  group.clearLayers();
  features.forEach((feature) => addPosition(group, feature, slots.get(feature.properties.partner)));
  return slots;
}

/** The legend's rows for the partners shown, with their names. */
export function positionLegendRows(collection, slots) {
  const names = new Map((collection.features || []).map(
    (f) => [f.properties.partner, f.properties.partner_name || f.properties.partner]));
  return [...slots.entries()].map(([code, slot]) => h('li', { className: 'legend-row' },
    h('span', { className: 'swatch swatch-position partner-' + slot }),
    h('span', null, names.get(code) || code)));
}
