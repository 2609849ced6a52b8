/* The analysis layers on the map: hot and cold spots, emerging hot spots, next month's risk,
 * coverage by partner, the security vacuum and seam, and recommended sites.
 *
 * Each is a checkbox in the panel, off until switched on, and then loaded from the node's
 * /api/analysis/*.geojson (computed there, from its incidents and the positions released to
 * the viewer's partner alone). A layer says when it is loading and when it failed, next to its
 * checkbox and on the map element (data-analysis-<name>: loading, ready, error), and adds its
 * entry to the legend while it is on. Colours are classes in analysis-layers.css, so that the
 * map and the legend agree. */

import { ApiError, getJson } from './api.js';
import { h } from './dom.js';
import { partnerSlots } from './positions.js';
import { LOCALE, NUMBERING, formatNumber, plural, t } from './strings.js';

/** The layers in panel order. `dated`: follows the incident filter's dates; `parts`: which
 * features of a collection shared with another layer it draws (by their `layer` property);
 * `query`: fixed parameters. Hot spots take the z-scores' normal p-values (as ArcGIS does):
 * with permutation p-values and FDR, incidents snapped to a few hundred named places leave
 * no cell significant (tansiq.analysis.hotspots says why). */
const LAYERS = [
  { name: 'hotspots', path: '/analysis/hotspots.geojson', dated: true, query: { p: 'normal' } },
  { name: 'emerging', path: '/analysis/emerging.geojson', dated: true },
  { name: 'risk', path: '/analysis/risk.geojson' },
  { name: 'coverage', path: '/analysis/coverage.geojson', parts: ['partner', 'overlap'] },
  { name: 'vacuum', path: '/analysis/coverage.geojson', parts: ['uncovered', 'seam'] },
  { name: 'placement', path: '/analysis/placement.geojson' },
];

const GI_BINS = [3, 2, 1, -1, -2, -3];
const EMERGING_CLASSES = [
  'new-hot', 'consecutive-hot', 'intensifying-hot', 'persistent-hot', 'diminishing-hot',
  'sporadic-hot', 'oscillating-hot', 'historical-hot', 'new-cold', 'consecutive-cold',
  'intensifying-cold', 'persistent-cold', 'diminishing-cold', 'sporadic-cold',
  'oscillating-cold', 'historical-cold', 'no-pattern',
];
/** Lower bounds of the risk classes, in expected incidents a month. */
const RISK_BREAKS = [0, 0.1, 0.3, 1, 3];

function decimal(value, digits) {
  return new Intl.NumberFormat(LOCALE, {
    numberingSystem: NUMBERING, maximumFractionDigits: digits,
  }).format(Number(value));
}

/** A risk class's range, in the page's digits ("< 0.1", "0.1–0.3", "3+"), kept left to
 * right as numbers are in Arabic and Kurdish text too. */
function riskRange(i) {
  const [low, high] = [RISK_BREAKS[i], RISK_BREAKS[i + 1]];
  let text = decimal(low, 1) + '–' + decimal(high, 1);
  if (i === 0) text = '< ' + decimal(high, 1);
  if (high === undefined) text = decimal(low, 1) + '+';
  return h('bdi', { attrs: { dir: 'ltr' } }, text);
}

/** "2018-01" as the page's language names a month ("January 2018"). */
function monthName(month) {
  const date = new Date(month + '-01T00:00:00Z');
  if (!month || Number.isNaN(date.getTime())) return month || '';
  return new Intl.DateTimeFormat(LOCALE, {
    month: 'long', year: 'numeric', timeZone: 'UTC', numberingSystem: NUMBERING,
  }).format(date);
}

function pValue(value) {
  const p = Number(value);
  return p < 0.001 ? '< ' + decimal(0.001, 3) : decimal(p, 3);
}

function giClass(bin) {
  const b = Number(bin);
  return b > 0 ? 'gi-hot-' + b : 'gi-cold-' + -b;
}

/** ArcGIS's emerging hot spot label ("New Hot Spot") as the key the strings use ("new-hot"). */
export function emergingKey(props) {
  if (props.key) return props.key;
  return String(props.class || props.category || '').toLowerCase()
    .replace(/ detected$/, '').replace(/ spot$/, '').trim().replace(/\s+/g, '-');
}

function riskClass(expected) {
  let step = 0;
  RISK_BREAKS.forEach((bound, i) => { if (Number(expected) >= bound) step = i; });
  return 'risk-' + (step + 1);
}

// ---- popups and legend rows ----------------------------------------------------------------

function popup(testid, kicker, title, rows) {
  const fields = h('dl', { className: 'popup-fields' });
  rows.forEach(([key, label, value]) => {
    fields.append(h('dt', null, label), h('dd', { attrs: { 'data-field': key } }, value));
  });
  return h('div', { className: 'popup popup-analysis', attrs: { 'data-testid': testid } },
    h('p', { className: 'popup-kicker' }, kicker),
    h('h3', { className: 'popup-title' }, title),
    fields);
}

function swatchRow(swatchClass, text) {
  return h('li', { className: 'legend-row' },
    h('span', { className: 'swatch analysis-swatch ' + swatchClass }), h('span', null, text));
}

function legendBlock(name, title, rows, note) {
  return h('div', {
    className: 'legend-block', attrs: { 'data-testid': 'legend-analysis-' + name },
  },
  h('h3', null, title),
  h('ul', { className: 'legend-list legend-single' }, ...rows),
  note ? h('p', { className: 'legend-note' }, note) : null);
}

// ---- what each layer draws ---------------------------------------------------------------

function cellLayer(collection, pane, describe) {
  return L.geoJSON(collection, {
    pane,
    style: (feature) => ({ className: describe(feature.properties).className, weight: 1 }),
    onEachFeature: (feature, layer) => {
      layer.bindPopup(() => describe(feature.properties).popup(), { maxWidth: 300 });
    },
  });
}

const DRAW = {
  hotspots(collection, pane) {
    const layer = cellLayer(collection, pane, (p) => ({
      className: 'analysis-cell analysis-hotspots ' + giClass(p.gi_bin),
      popup: () => popup('hotspot-popup', t('analysis.layers.hotspots'),
        t('analysis.hotspots.bins.' + Number(p.gi_bin)), [
          ['count', t('analysis.hotspots.count'), formatNumber(Number(p.count))],
          ['z', t('analysis.hotspots.z'), decimal(p.z, 2)],
          ['p', t('analysis.hotspots.p'), pValue(p.p)],
          ['p_fdr', t('analysis.hotspots.pFdr'), pValue(p.p_fdr)],
          ['cell', t('analysis.cell'), p.cell],
        ]),
    }));
    const present = new Set(collection.features.map((f) => Number(f.properties.gi_bin)));
    const rows = GI_BINS.filter((b) => present.has(b)).map((b) =>
      swatchRow(giClass(b), t('analysis.hotspots.bins.' + b)));
    return { layer, legend: [t('analysis.hotspots.legend'), rows, t('analysis.hotspots.note')] };
  },

  emerging(collection, pane) {
    const layer = cellLayer(collection, pane, (p) => ({
      className: 'analysis-cell analysis-emerging em-' + emergingKey(p),
      popup: () => popup('emerging-popup', t('analysis.layers.emerging'),
        t('analysis.emerging.classes.' + emergingKey(p)), [
          ...(p.trend_z != null
            ? [['trend', t('analysis.emerging.trend'), decimal(p.trend_z, 2)]] : []),
          ['cell', t('analysis.cell'), p.cell],
        ]),
    }));
    const present = new Set(collection.features.map((f) => emergingKey(f.properties)));
    const rows = EMERGING_CLASSES.filter((key) => present.has(key)).map((key) =>
      swatchRow('em-' + key, t('analysis.emerging.classes.' + key)));
    return { layer, legend: [t('analysis.emerging.legend'), rows, t('analysis.emerging.note')] };
  },

  risk(collection, pane) {
    const month = monthName(collection.month);
    const layer = cellLayer(collection, pane, (p) => ({
      className: 'analysis-cell analysis-risk ' + riskClass(p.expected),
      popup: () => popup('risk-popup', t('analysis.layers.risk'),
        t('analysis.risk.legend', { month }), [
          ['expected', t('analysis.risk.expected'), decimal(p.expected, 2)],
          ['rank', t('analysis.risk.rank'), formatNumber(Number(p.rank))],
          ['cell', t('analysis.cell'), p.cell],
        ]),
    }));
    const rows = RISK_BREAKS.map((_, i) => swatchRow('risk-' + (i + 1), riskRange(i)));
    return {
      layer, legend: [t('analysis.risk.legend', { month }), rows, t('analysis.risk.note')],
    };
  },

  coverage(collection, pane) {
    const features = collection.features.filter((f) => f.properties.layer === 'partner');
    const slots = partnerSlots(features);
    const names = new Map(features.map((f) => [f.properties.partner,
      f.properties.partner_name || f.properties.partner]));
    const className = (p) => (p.layer === 'partner'
      ? 'analysis-coverage coverage-partner partner-' + slots.get(p.partner)
      : 'analysis-coverage coverage-overlap');
    const title = (p) => (p.layer === 'partner'
      ? t('analysis.coverage.partner', { partner: names.get(p.partner) })
      : t('analysis.coverage.overlap'));
    const layer = areaLayer(collection, pane, ['partner', 'overlap'], className, title,
      'coverage-popup', t('analysis.layers.coverage'));
    const rows = [...slots.entries()].map(([code, slot]) => swatchRow(
      'coverage-partner partner-' + slot,
      t('analysis.coverage.partner', { partner: names.get(code) })));
    if (collection.features.some((f) => f.properties.layer === 'overlap')) {
      rows.push(swatchRow('coverage-overlap', t('analysis.coverage.overlap')));
    }
    if (!rows.length) {
      rows.push(h('li', { className: 'legend-row legend-none' }, t('analysis.coverage.none')));
    }
    return { layer, legend: [t('analysis.coverage.legend'), rows, t('analysis.coverage.note')] };
  },

  vacuum(collection, pane) {
    const className = (p) => 'analysis-vacuum vacuum-' + p.layer;
    const title = (p) => t('analysis.vacuum.' + p.layer);
    const layer = areaLayer(collection, pane, ['uncovered', 'seam'], className, title,
      'vacuum-popup', t('analysis.layers.vacuum'));
    const rows = ['uncovered', 'seam'].map((part) =>
      swatchRow('vacuum-' + part, t('analysis.vacuum.' + part)));
    return { layer, legend: [t('analysis.vacuum.legend'), rows, t('analysis.coverage.note')] };
  },

  placement(collection) {
    const layer = L.layerGroup();
    collection.features.forEach((feature) => placementMarker(feature).addTo(layer));
    const rows = [
      h('li', { className: 'legend-row' },
        h('span', { className: 'placement-marker placement-swatch' }, formatNumber(1)),
        h('span', null, t('analysis.placement.legend'))),
    ];
    const before = collection.covered_before;
    const after = collection.covered_after;
    const note = before != null && after != null
      ? t('analysis.placement.summary', { before: decimal(before, 1), after: decimal(after, 1) })
      : '';
    return { layer, legend: [t('analysis.layers.placement'), rows, note] };
  },
};

/** Coverage polygons: the features of `parts`, each with a popup of what it is and its area. */
function areaLayer(collection, pane, parts, className, title, testid, kicker) {
  const wanted = {
    ...collection,
    features: collection.features.filter((f) => parts.includes(f.properties.layer)),
  };
  return L.geoJSON(wanted, {
    pane,
    style: (feature) => ({ className: className(feature.properties), weight: 1.5 }),
    onEachFeature: (feature, layer) => {
      const p = feature.properties;
      const rows = p.area_km2 != null ? [['area', t('analysis.coverage.area'),
        t('analysis.coverage.km2', { n: decimal(p.area_km2, 0) })]] : [];
      layer.bindPopup(() => popup(testid, kicker, title(p), rows), { maxWidth: 300 });
    },
  });
}

function placementMarker(feature) {
  const p = feature.properties;
  const [lon, lat] = feature.geometry.coordinates;
  const rank = formatNumber(Number(p.rank));
  const marker = L.marker([lat, lon], {
    icon: L.divIcon({
      className: 'placement-marker',
      html: h('span', null, rank),
      iconSize: [26, 26],
    }),
    title: t('analysis.placement.markerTitle', { rank }),
    keyboard: true,
    riseOnHover: true,
    zIndexOffset: 600,
  });
  marker.bindPopup(() => popup('placement-popup', t('analysis.layers.placement'),
    t('analysis.placement.title', { rank }), [
      ['gain', t('analysis.placement.gain'), decimal(p.gain, 2)],
      ...(p.cumulative != null
        ? [['cumulative', t('analysis.placement.cumulative'), decimal(p.cumulative, 2)]] : []),
      ['coordinates', t('analysis.placement.coordinates'),
        decimal(lat, 4) + ', ' + decimal(lon, 4)],
    ]), { maxWidth: 300 });
  return marker;
}

// ---- the control -------------------------------------------------------------------------

/** One layer: its checkbox, status, legend block and what it shows while on. */
class AnalysisLayer {
  constructor(spec, context) {
    this.spec = spec;
    this.context = context;
    this.group = L.layerGroup();
    this.request = null;
    this.key = '';
    const id = 'analysis-toggle-' + spec.name;
    this.checkbox = h('input', {
      attrs: { type: 'checkbox', id, 'data-testid': id, 'aria-describedby': id + '-status' },
    });
    this.status = h('span', {
      className: 'analysis-status',
      attrs: { id: id + '-status', 'data-testid': 'analysis-status-' + spec.name, role: 'status' },
    });
    this.legend = h('div', { className: 'analysis-legend-slot' });
    this.checkbox.addEventListener('change', () => this.toggle());
  }

  row() {
    return h('li', { className: 'analysis-row' },
      h('label', { className: 'check', attrs: { for: this.checkbox.id } },
        this.checkbox, h('span', null, t('analysis.layers.' + this.spec.name))),
      this.status);
  }

  setState(state, text) {
    this.context.map.getContainer().dataset['analysis' + capitalised(this.spec.name)] = state;
    this.status.textContent = text || '';
    this.status.className = 'analysis-status is-' + state;
  }

  toggle() {
    if (this.checkbox.checked) {
      this.group.addTo(this.context.map);
      this.load();
    } else {
      if (this.request) this.request.abort();
      this.context.map.removeLayer(this.group);
      this.legend.replaceChildren();
      this.setState('off', '');
    }
  }

  params() {
    return { ...(this.spec.dated ? this.context.dates() : {}), ...(this.spec.query || {}) };
  }

  /** Ask again if what the layer shows depends on the incident filter's dates. */
  datesChanged() {
    const changed = JSON.stringify(this.params()) !== this.key;
    if (this.checkbox.checked && this.spec.dated && changed) this.load();
  }

  async load() {
    if (this.request) this.request.abort();
    const request = new AbortController();
    this.request = request;
    this.key = JSON.stringify(this.params());
    this.setState('loading', t('analysis.loading'));
    this.status.setAttribute('aria-busy', 'true');
    try {
      const collection = await this.context.fetch(this.spec.path, this.params(), request.signal);
      if (this.request !== request || !this.checkbox.checked) return;
      this.show(collection);
    } catch (error) {
      if (error.name === 'AbortError' || this.request !== request) return;
      this.group.clearLayers();
      this.legend.replaceChildren();
      const detail = error instanceof ApiError ? error.message : t('errors.network');
      this.setState('error', t('analysis.error',
        { layer: t('analysis.layers.' + this.spec.name), detail }));
      if (!(error instanceof ApiError)) window.setTimeout(() => { throw error; });
    } finally {
      if (this.request === request) {
        this.request = null;
        this.status.setAttribute('aria-busy', 'false');
      }
    }
  }

  show(collection) {
    const drawn = DRAW[this.spec.name](
      { ...collection, features: collection.features || [] }, 'analysis');
    this.group.clearLayers();
    this.group.addLayer(drawn.layer);
    const count = drawn.layer.getLayers().length;
    const [title, rows, note] = drawn.legend;
    this.legend.replaceChildren(legendBlock(this.spec.name, title, rows, note));
    this.setState('ready', count
      ? plural('analysis.features', count).replace('{n}', formatNumber(count))
      : t('analysis.empty'));
    this.context.map.getContainer().dataset['analysis' + capitalised(this.spec.name) + 'Count']
      = String(count);
  }
}

function capitalised(name) {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** GET with one request per address at a time, shared by the layers that read the same
 * collection (coverage and vacuum); a failed answer is not kept. */
function sharedFetch() {
  const pending = new Map();
  return (path, params, signal) => {
    const key = path + '?' + new URLSearchParams(params).toString();
    if (!pending.has(key)) {
      const answer = getJson(path, params).finally(() => pending.delete(key));
      pending.set(key, answer);
    }
    const answer = pending.get(key);
    return new Promise((resolve, reject) => {
      const abort = () => reject(new DOMException('Aborted', 'AbortError'));
      if (signal.aborted) abort();
      signal.addEventListener('abort', abort, { once: true });
      answer.then(resolve, reject);
    });
  };
}

/** Fill the panel's list (`#analysis-layers`) and legend (`#analysis-legend`) for `map`;
 * `dates()` gives the incident filter's {from, to}. Returns what map.js calls when the
 * filters change. */
export function createAnalysisLayers(map, dates) {
  map.createPane('analysis').style.zIndex = '275';
  const context = { map, dates, fetch: sharedFetch() };
  const layers = LAYERS.map((spec) => new AnalysisLayer(spec, context));
  const list = document.getElementById('analysis-layers');
  list.replaceChildren(...layers.map((layer) => layer.row()));
  document.getElementById('analysis-legend')
    .replaceChildren(...layers.map((layer) => layer.legend));
  layers.forEach((layer) => layer.setState('off', ''));
  return {
    datesChanged() {
      layers.forEach((layer) => layer.datesChanged());
    },
  };
}
