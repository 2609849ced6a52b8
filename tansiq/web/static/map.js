/* tansiq: the common operating picture of a node, the page's entry point.
 *
 * Plain JavaScript modules, no build step. Everything comes from this node: the vector layers
 * and incidents from its /api, Leaflet from /static/vendor. There is no base map.
 */

import { createAnalysisLayers } from './analysis-layers.js';
import { ApiError, getJson, isYes } from './api.js';
import { PANES, buildLayer, style } from './areas.js';
import { fillTemplate, h } from './dom.js';
import { KINDS, createIncidentOverlay, markerDiameter } from './incidents.js';
import { positionLegendRows, showPositions } from './positions.js';
import { showReportPlaces } from './report-places.js';
import {
  LOCALE, NUMBERING, RTL, STRINGS, areaName, formatNumber, plural, t, translatePage,
} from './strings.js';

const IRAQ_BOUNDS = [[29.06, 38.79], [37.38, 48.57]];
const SUBDISTRICT_MIN_ZOOM = 9;
const DISTRICT_LABEL_MIN_ZOOM = 8;
const FILTER_DEBOUNCE_MS = 250;
const LAYER_ORDER = [
  'neighbours', 'adm1', 'adm2', 'adm3', 'disputed', 'kurdistan-region', 'syria-border',
];

const testid = (id) => document.querySelector(`[data-testid="${id}"]`);
const form = document.getElementById('filters');
const fromInput = document.getElementById('filter-from');
const toInput = document.getElementById('filter-to');
const areaSelect = document.getElementById('filter-area');
const disputedInput = document.getElementById('filter-disputed');
const countElement = testid('incident-count');
const noteElement = testid('incident-note');
const loadingElement = testid('loading');
const emptyElement = testid('empty-state');

// ---- error banner ------------------------------------------------------------------------

const banner = testid('error-banner');
let bannerSource = null;

function showError(source, message) {
  bannerSource = source;
  banner.querySelector('.banner-text').textContent = message;
  banner.hidden = false;
}

function clearError(source) {
  if (bannerSource === source) {
    banner.hidden = true;
    bannerSource = null;
  }
}

banner.querySelector('.banner-close').addEventListener('click', () => {
  banner.hidden = true;
  bannerSource = null;
});

/** Show what went wrong in the banner; `source` lets a later success clear it. */
function reportFailure(source, error, describe) {
  if (error.name === 'AbortError') return;
  const detail = error instanceof ApiError ? error.message : t('errors.network');
  showError(source, describe ? describe(detail) : detail);
  if (!(error instanceof ApiError)) {
    // A programming error, not an answer from the node: keep it visible to developers.
    window.setTimeout(() => { throw error; });
  }
}

// ---- the map -----------------------------------------------------------------------------

// Controls mirror in Arabic and Kurdish: what sits on the start side in English (zoom, home,
// scale) sits on the right there, the layer switch on the left.
const START = RTL ? 'right' : 'left';
const END = RTL ? 'left' : 'right';

const map = L.map('map', {
  zoomControl: false,
  zoomSnap: 0.25,
  zoomDelta: 0.5,
  minZoom: 4,
  maxZoom: 15,
  maxBounds: L.latLngBounds(IRAQ_BOUNDS).pad(1),
  maxBoundsViscosity: 0.7,
});
PANES.forEach(([name, zIndex]) => {
  map.createPane(name).style.zIndex = String(zIndex);
});
map.getPane('labels').style.pointerEvents = 'none';
map.attributionControl.setPosition('bottom' + END);
map.attributionControl.setPrefix(t('attribution.prefix'));
['cod', 'ucdp', 'naturalEarth'].forEach((key) => {
  map.attributionControl.addAttribution(t('attribution.' + key));
});
L.control.zoom({
  position: 'top' + START,
  zoomInTitle: t('zoomIn'),
  zoomOutTitle: t('zoomOut'),
}).addTo(map);
L.control.scale({ imperial: false, position: 'bottom' + START }).addTo(map);

// The current view, written on the map element for tests and anyone inspecting the page.
map.on('moveend', () => {
  const bounds = map.getBounds();
  const container = map.getContainer();
  container.dataset.zoom = String(map.getZoom());
  container.dataset.bounds = [
    bounds.getSouth(), bounds.getWest(), bounds.getNorth(), bounds.getEast(),
  ].map((value) => value.toFixed(6)).join(',');
});
map.on('zoomend', () => {
  map.getContainer().classList.toggle(
    'show-district-labels', map.getZoom() >= DISTRICT_LABEL_MIN_ZOOM);
});

function fitIraq() {
  map.fitBounds(IRAQ_BOUNDS, { padding: [8, 8] });
}
fitIraq();

const HomeControl = L.Control.extend({
  options: { position: 'top' + START },
  onAdd() {
    const button = h('a', {
      className: 'home-button',
      attrs: { href: '#', role: 'button', title: t('zoomToIraq'), 'aria-label': t('zoomToIraq') },
    }, '⌂');
    L.DomEvent.disableClickPropagation(button);
    L.DomEvent.on(button, 'click', (event) => {
      L.DomEvent.preventDefault(event);
      fitIraq();
    });
    return h('div', { className: 'leaflet-bar' }, button);
  },
});
new HomeControl().addTo(map);

const layerControl = L.control.layers(null, null, { collapsed: false, position: 'top' + END });
layerControl.addTo(map);

const incidents = createIncidentOverlay((cell) => zoomToCell(cell));
incidents.layer.addTo(map);
layerControl.addOverlay(incidents.layer, t('layers.incidents'));

// Coverage circles lie over the areas and under the markers; clicks go through them.
map.createPane('coverage').style.zIndex = '285';
const positionLayer = L.layerGroup().addTo(map);
layerControl.addOverlay(positionLayer, t('positions.layer'));
const reportLayer = L.layerGroup().addTo(map);
layerControl.addOverlay(reportLayer, t('reportPlaces.layer'));

// Analysis layers: switched on in the panel; hot spots follow the filter's dates.
const analysisLayers = createAnalysisLayers(map, () => ({
  from: fromInput.value, to: toInput.value,
}));

// ---- vector layers -----------------------------------------------------------------------

const layers = {};
// English names of governorates and districts by pcode, for the area popups.
const areaNames = new Map();
const layerHooks = {
  parentName: (pcode) => areaNames.get(pcode),
  onChoose: (props) => {
    map.closePopup();
    selectArea(props);
  },
};

async function loadLayer(name) {
  try {
    const geojson = await getJson('/layers/' + encodeURIComponent(name));
    return buildLayer(name, geojson, layerHooks);
  } catch (error) {
    reportFailure('layer:' + name, error,
      (detail) => t('errors.layer', { layer: t('layers.' + name), detail }));
    return null;
  }
}

// Sub-districts are many and small: they are fetched the first time the map is zoomed in far
// enough, and shown only while it stays there (and the layer switcher has them on).
const subdistricts = L.layerGroup();
let subdistrictLayer = null;

async function syncSubdistricts() {
  const wanted = () => map.hasLayer(subdistricts) && map.getZoom() >= SUBDISTRICT_MIN_ZOOM;
  if (!wanted()) {
    subdistricts.clearLayers();
    return;
  }
  subdistrictLayer = subdistrictLayer || loadLayer('adm3');
  const layer = await subdistrictLayer;
  if (!layer) {
    subdistrictLayer = null; // try again on the next zoom
  } else if (wanted() && !subdistricts.hasLayer(layer)) {
    subdistricts.addLayer(layer);
  }
}
map.on('zoomend overlayadd overlayremove', syncSubdistricts);

async function loadVectorLayers() {
  const names = LAYER_ORDER.filter((name) => name !== 'adm3');
  const loaded = await Promise.all(names.map(loadLayer));
  names.forEach((name, i) => {
    layers[name] = loaded[i];
  });
  layers.adm3 = subdistricts;
  LAYER_ORDER.forEach((name) => {
    if (!layers[name]) return;
    layers[name].addTo(map);
    layerControl.addOverlay(layers[name], t('layers.' + name));
  });
  highlightSelectedArea({ zoom: Boolean(areaSelect.value) });
  map.getContainer().dataset.layers = 'ready';
}

// ---- incidents ---------------------------------------------------------------------------

function currentFilters() {
  return {
    area: areaSelect.value,
    from: fromInput.value,
    to: toInput.value,
    disputed: disputedInput.checked ? 'true' : '',
  };
}

/** Keep the filters in the address, so that a view can be reloaded, bookmarked or shared. */
function rememberFilters(filters) {
  const params = new URLSearchParams();
  Object.entries(filters).forEach(([name, value]) => {
    if (value) params.set(name, value);
  });
  const query = params.toString();
  window.history.replaceState(null, '', window.location.pathname + (query ? '?' + query : ''));
}

// Two requests answer the filters: the count of every matching incident (/api/incidents,
// the number the panel shows) and what the current view shows (/api/incidents/viewport,
// asked again whenever the map moves). Each aborts its own previous request.
const busy = { count: false, view: false };
const notes = { count: '', view: '' };

function setBusy(part, value) {
  busy[part] = value;
  loadingElement.hidden = !(busy.count || busy.view);
  if (part === 'count') countElement.setAttribute('aria-busy', value ? 'true' : 'false');
}

function setNote(part, text) {
  notes[part] = text;
  noteElement.textContent = [notes.count, notes.view].filter(Boolean).join(' · ');
}

function showCount(total) {
  const totalElement = h('strong', {
    attrs: { 'data-testid': 'incident-total', 'data-value': String(total) },
  }, formatNumber(total));
  fillTemplate(countElement, plural('count', total), { total: totalElement });
  const time = new Date().toLocaleTimeString(LOCALE,
    { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', numberingSystem: NUMBERING });
  setNote('count', t('loadedAt', { time }));
  countElement.classList.remove('is-stale');
  emptyElement.hidden = total > 0;
}

function markCountStale() {
  countElement.classList.add('is-stale');
  setNote('count', t('countStale'));
}

/** What the view shows, when the map cannot show every incident in it one by one. */
function viewNote(answer) {
  if (answer.kind === 'grid') return t('gridNote');
  const returned = Number(answer.returned);
  if (returned < Number(answer.total)) {
    return t('viewCappedNote',
      { returned: formatNumber(returned), total: formatNumber(Number(answer.total)) });
  }
  return '';
}

/** Run `load(signal)` as the latest request of `part`, aborting the one before. */
const requests = {};
async function latest(part, load) {
  if (requests[part]) requests[part].abort();
  const request = new AbortController();
  requests[part] = request;
  setBusy(part, true);
  try {
    await load(request.signal);
    clearError(part);
  } catch (error) {
    if (error.name !== 'AbortError') markCountStale();
    reportFailure(part, error);
  } finally {
    if (requests[part] === request) {
      requests[part] = null;
      setBusy(part, false);
    }
  }
}

function loadCount(filters) {
  emptyElement.hidden = true;
  return latest('count', async (signal) => {
    const answer = await getJson('/incidents', { ...filters, limit: 1 }, signal);
    showCount(Number(answer.total));
  });
}

/** The view as the API takes it, a little wider than the map so that panning shows markers. */
function viewBox() {
  const bounds = map.getBounds().pad(0.1);
  const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value)).toFixed(5);
  return [
    clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 90),
    clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 90),
  ].join(',');
}

let lastView = '';

function loadView(filters) {
  const params = { ...filters, bbox: viewBox(), zoom: Math.round(map.getZoom()) };
  lastView = JSON.stringify(params);
  return latest('view', async (signal) => {
    const answer = await getJson('/incidents/viewport', params, signal);
    incidents.show(answer);
    setNote('view', viewNote(answer));
  });
}

function loadIncidents() {
  const filters = currentFilters();
  rememberFilters(filters);
  loadCount(filters);
  loadView(filters);
  analysisLayers.datesChanged();
}

let reloadTimer = null;
function scheduleReload() {
  window.clearTimeout(reloadTimer);
  reloadTimer = window.setTimeout(loadIncidents, FILTER_DEBOUNCE_MS);
}

// A move asks for the new view only; the count does not depend on it.
let moveTimer = null;
map.on('moveend', () => {
  window.clearTimeout(moveTimer);
  moveTimer = window.setTimeout(() => {
    const filters = currentFilters();
    const params = { ...filters, bbox: viewBox(), zoom: Math.round(map.getZoom()) };
    if (JSON.stringify(params) !== lastView) loadView(filters);
  }, FILTER_DEBOUNCE_MS);
});

/** A grid cell clicked: zoom in on it (two steps, or enough to fill the view with it). */
function zoomToCell(cell) {
  const [west, south, east, north] = cell.bounds;
  const fit = map.getBoundsZoom([[south, west], [north, east]]);
  const zoom = Math.min(map.getMaxZoom(), Math.max(Math.floor(map.getZoom()) + 2, fit - 1));
  map.setView([cell.lat, cell.lon], zoom);
}

// ---- filters -----------------------------------------------------------------------------

function constrainDates() {
  toInput.min = fromInput.value;
  fromInput.max = toInput.value;
}

function applyFiltersFromUrl() {
  const params = new URLSearchParams(window.location.search);
  fromInput.value = params.get('from') || '';
  toInput.value = params.get('to') || '';
  disputedInput.checked = params.get('disputed') === 'true';
  const area = params.get('area') || '';
  if (area) ensureAreaOption({ pcode: area, name_en: area });
  areaSelect.value = area;
  constrainDates();
}

fromInput.addEventListener('change', () => { constrainDates(); scheduleReload(); });
toInput.addEventListener('change', () => { constrainDates(); scheduleReload(); });
disputedInput.addEventListener('change', scheduleReload);
areaSelect.addEventListener('change', () => {
  highlightSelectedArea({ zoom: true });
  scheduleReload();
});
form.addEventListener('submit', (event) => event.preventDefault());
form.addEventListener('reset', () => {
  // The reset event fires before the fields are cleared.
  window.setTimeout(() => {
    constrainDates();
    highlightSelectedArea();
    fitIraq();
    scheduleReload();
  });
});

function areaOptionText(area) {
  const name = areaName(area);
  if (Number(area.level) === 1) return t('areaGovernorate', { name });
  return isYes(area.disputed) ? t('areaDisputed', { name }) : name;
}

function areaOption(area) {
  const option = h('option', { attrs: { value: area.pcode } }, areaOptionText(area));
  if (isYes(area.disputed)) {
    option.dataset.disputed = 'true';
    option.className = 'option-disputed';
  }
  return option;
}

/** Make sure the select can show `area` (one chosen on the map or given in the address). */
function ensureAreaOption(area) {
  const existing = Array.from(areaSelect.options).find((o) => o.value === area.pcode);
  if (existing) {
    if (area.name_en && existing.textContent === existing.value) {
      existing.textContent = areaOptionText(area);
    }
    return;
  }
  let group = areaSelect.querySelector('optgroup[data-group="other"]');
  if (!group) {
    group = h('optgroup', { attrs: { label: t('areaOther'), 'data-group': 'other' } });
    areaSelect.append(group);
  }
  group.append(areaOption(area));
}

function byName(a, b) {
  return areaName(a).localeCompare(areaName(b), LOCALE);
}

/** Fill the area filter: each governorate, then its districts, disputed ones marked. */
async function loadAreas() {
  try {
    // One page holds every governorate or district (the node's list has 413 areas in all).
    const [governorates, districts] = (await Promise.all([
      getJson('/areas', { level: 1 }),
      getJson('/areas', { level: 2 }),
    ])).map((page) => page.items);
    const chosen = areaSelect.value;
    const others = Array.from(areaSelect.querySelectorAll('optgroup[data-group="other"] option'));
    const groups = governorates.slice().sort(byName).map((governorate) => h('optgroup',
      { attrs: { label: areaName(governorate) } },
      areaOption(governorate),
      ...districts.filter((d) => d.parent_pcode === governorate.pcode).sort(byName)
        .map(areaOption)));
    areaSelect.replaceChildren(areaSelect.options[0], ...groups);
    [...governorates, ...districts].forEach((a) => areaNames.set(a.pcode, areaName(a)));
    others.filter((o) => !areaNames.has(o.value))
      .forEach((o) => ensureAreaOption({ pcode: o.value, name_en: o.textContent }));
    areaSelect.value = chosen;
    clearError('areas');
  } catch (error) {
    reportFailure('areas', error, (detail) => t('errors.areas', { detail }));
  }
}

// The area chosen in the filter is outlined on the map.
const selection = L.featureGroup().addTo(map);

function findAreaFeature(pcode) {
  const candidates = [layers.adm2, layers.adm1, layers.disputed, subdistricts.getLayers()[0]];
  for (const layer of candidates.filter(Boolean)) {
    const found = layer.getLayers().find((l) => l.feature && l.feature.properties.pcode === pcode);
    if (found) return found;
  }
  return null;
}

function highlightSelectedArea(options) {
  selection.clearLayers();
  const area = areaSelect.value && findAreaFeature(areaSelect.value);
  if (!area) return;
  L.geoJSON(area.feature, {
    pane: 'selection',
    interactive: false,
    style: () => style('selection'),
  }).addTo(selection);
  if (options && options.zoom) {
    map.fitBounds(area.getBounds(), { padding: [24, 24], maxZoom: 10 });
  }
}

function selectArea(props) {
  ensureAreaOption(props);
  areaSelect.value = props.pcode;
  highlightSelectedArea({ zoom: false });
  scheduleReload();
}

// ---- positions and reports ---------------------------------------------------------------

// What the node releases to the viewer's partner: loaded once, whatever the incident filters.
const positionLegend = h('ul', {
  className: 'legend-list', attrs: { 'data-testid': 'legend-positions' },
});

async function loadOverlay(name, path, show) {
  try {
    show(await getJson(path));
    clearError(name);
  } catch (error) {
    reportFailure(name, error, (detail) => t(name + '.error', { detail }));
  } finally {
    map.getContainer().dataset[name] = 'ready';
  }
}

function loadPositions() {
  return loadOverlay('positions', '/positions.geojson', (collection) => {
    const rows = positionLegendRows(collection, showPositions(positionLayer, collection));
    positionLegend.replaceChildren(...(rows.length ? rows
      : [h('li', { className: 'legend-row legend-none' }, t('positions.none'))]));
  });
}

function loadReportPlaces() {
  return loadOverlay('reportPlaces', '/reports.geojson',
    (collection) => showReportPlaces(reportLayer, collection));
}

// ---- legend and node status --------------------------------------------------------------

function legendRow(swatch, text) {
  return h('li', { className: 'legend-row' }, swatch, h('span', null, text));
}

function buildLegend() {
  const kinds = h('ul', { className: 'legend-list' }, ...KINDS.map((kind) =>
    legendRow(h('span', { className: 'swatch swatch-dot kind-' + kind }), t('types.' + kind))));
  const sizes = h('div', { className: 'legend-sizes' }, ...[0, 10, 100].map((deaths, i) => {
    const dot = h('span', { className: 'swatch-size' });
    dot.style.width = dot.style.height = markerDiameter(deaths) + 'px';
    return h('span', { className: 'legend-size' }, dot, STRINGS.legend.sizeSteps[i]);
  }));
  const reports = h('ul', { className: 'legend-list' },
    legendRow(h('span', { className: 'swatch swatch-report' }), t('reportPlaces.legend')));
  const areas = h('ul', { className: 'legend-list' },
    ...['disputed', 'kri', 'syria', 'adm1', 'adm2', 'adm3', 'neighbours'].map((key) =>
      legendRow(h('span', { className: 'swatch swatch-' + key }), t('legend.' + key))));
  document.getElementById('legend').replaceChildren(
    h('h3', null, t('legend.incidents')), kinds,
    h('h3', null, t('legend.size')), sizes,
    h('p', { className: 'legend-note' }, t('legend.grid')),
    h('p', { className: 'legend-note' }, t('legend.clusters')),
    h('h3', null, t('positions.legend')), positionLegend,
    h('p', { className: 'legend-note' }, t('positions.legendCoverage')),
    h('h3', null, t('reportPlaces.layer')), reports,
    h('h3', null, t('legend.areas')), areas,
  );
}

async function checkHealth() {
  const status = testid('node-status');
  try {
    const health = await getJson('/health');
    status.textContent = t('nodeOnline', { incidents: formatNumber(health.incidents) });
    status.className = 'node-status is-online';
    clearError('health');
  } catch (error) {
    status.textContent = t('nodeOffline');
    status.className = 'node-status is-offline';
    reportFailure('health', error);
  }
}

// ---- start -------------------------------------------------------------------------------

translatePage();
buildLegend();
applyFiltersFromUrl();
checkHealth();
loadAreas().then(() => highlightSelectedArea());
loadVectorLayers();
loadIncidents();
loadPositions();
loadReportPlaces();
