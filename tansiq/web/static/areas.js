/* The vector layers the node serves in place of a base map: neighbouring countries,
 * governorates, districts, sub-districts, disputed territories, the Kurdistan Region and the
 * Syria border. Areas open a popup with their English and Arabic names. */

import { isYes } from './api.js';
import { cssColour, h } from './dom.js';
import { STRINGS, areaName, t } from './strings.js';

/** Map panes, bottom to top, so that layers stack the same whichever loads first. */
export const PANES = [
  ['neighbours', 210],
  ['adm1', 220],
  ['adm2', 230],
  ['disputed', 240],
  ['adm3', 250],
  ['kri', 260],
  ['syria', 270],
  ['selection', 280],
  ['labels', 290],
];

/** Leaflet path styles; colours come from map.css so that legend and map agree. */
function layerStyles() {
  const colour = (name) => cssColour(name);
  return {
    neighbours: {
      color: colour('neighbour-line'), weight: 1, fillColor: colour('neighbour'), fillOpacity: 1,
    },
    adm1: { color: colour('adm1'), weight: 1.6, fillColor: colour('land'), fillOpacity: 1 },
    adm2: { color: colour('adm2'), weight: 0.8, fillColor: colour('accent'), fillOpacity: 0 },
    adm3: {
      color: colour('adm3'), weight: 0.6, dashArray: '3 3',
      fillColor: colour('accent'), fillOpacity: 0,
    },
    disputed: {
      color: colour('disputed'), weight: 1.4, opacity: 0.9,
      fillColor: 'url(#disputed-hatch)', fillOpacity: 1,
    },
    'kurdistan-region': {
      color: colour('kri'), weight: 3, opacity: 0.9, dashArray: '10 5', fill: false,
    },
    'syria-border': { color: colour('syria'), weight: 5, opacity: 0.9, lineCap: 'butt' },
    hover: { weight: 2.5, color: colour('accent'), fillOpacity: 0.06 },
    disputedHover: { weight: 2.5, color: colour('disputed') },
    selection: { color: colour('accent'), weight: 3, fill: false },
  };
}

let styles = null;

/** The styles, read from the stylesheet once it has loaded. */
export function style(name) {
  styles = styles || layerStyles();
  return styles[name];
}

const PANE_OF = {
  neighbours: 'neighbours',
  adm1: 'adm1',
  adm2: 'adm2',
  adm3: 'adm3',
  disputed: 'disputed',
  'kurdistan-region': 'kri',
  'syria-border': 'syria',
};
const CLICKABLE = new Set(['adm2', 'adm3', 'disputed']);
const LABELLED = { adm1: 'label-governorate', adm2: 'label-district' };

function areaPopup(props, hooks) {
  const level = Number(props.level);
  const content = h('div', { className: 'popup popup-area', attrs: { 'data-testid': 'area-popup' } });
  content.append(
    h('p', { className: 'popup-kicker' }, STRINGS.levels[level] || ''),
    h('h3', { className: 'popup-title', attrs: { lang: 'en' } }, props.name_en || ''),
    h('p', {
      className: 'popup-title-ar',
      attrs: { lang: 'ar', dir: 'rtl', 'data-testid': 'area-name-ar' },
    }, props.name_ar || ''),
  );
  const fields = h('dl', { className: 'popup-fields' },
    h('dt', null, t('popup.pcode')), h('dd', { className: 'mono' }, props.pcode || ''));
  const parent = hooks.parentName(props.parent_pcode);
  if (parent) fields.append(h('dt', null, t('popup.partOf')), h('dd', null, parent));
  content.append(fields);
  const flags = Object.keys(STRINGS.flags).filter((flag) => isYes(props[flag]));
  if (flags.length) {
    content.append(h('p', { className: 'badges' }, ...flags.map((flag) =>
      h('span', { className: 'badge badge-' + flag }, t('flags.' + flag)))));
  }
  if (props.pcode) {
    const button = h('button', { className: 'button button-small', attrs: { type: 'button' } },
      t('popup.filterToArea'));
    button.addEventListener('click', () => hooks.onChoose(props));
    content.append(button);
  }
  return content;
}

function label(text, className) {
  return L.tooltip({
    permanent: true,
    direction: 'center',
    className: 'area-label ' + className,
    pane: 'labels',
    interactive: false,
  }).setContent(h('span', null, text || ''));
}

/**
 * The Leaflet layer of the API layer `name`. `hooks.parentName(pcode)` names an area's parent;
 * `hooks.onChoose(props)` runs when the user asks for an area's incidents.
 */
export function buildLayer(name, geojson, hooks) {
  const base = style(name);
  const clickable = CLICKABLE.has(name);
  const hover = name === 'disputed' ? style('disputedHover') : style('hover');
  return L.geoJSON(geojson, {
    pane: PANE_OF[name],
    interactive: clickable,
    style: () => base,
    onEachFeature(feature, layer) {
      const props = feature.properties || {};
      if (LABELLED[name]) layer.bindTooltip(label(areaName(props), LABELLED[name]));
      if (!clickable) return;
      layer.bindPopup(() => areaPopup(props, hooks), { maxWidth: 280 });
      layer.on('mouseover', () => layer.setStyle(hover));
      layer.on('mouseout', () => layer.setStyle(base));
    },
  });
}
