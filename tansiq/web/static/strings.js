/* Every string the page shows, in one object so that a translation can replace it, and the
 * functions that look strings up. Labels are English for now. */

export const STRINGS = {
  pageTitle: 'Common operating picture',
  documentTitle: 'tansiq · Common operating picture',
  filtersHeading: 'Filters',
  fromLabel: 'From',
  toLabel: 'To',
  areaLabel: 'Area',
  areaAll: 'All of Iraq',
  areaGovernorate: '{name} (whole governorate)',
  areaDisputed: '{name} · disputed',
  areaOther: 'Other areas',
  disputedOnly: 'Disputed territories only',
  clearFilters: 'Clear filters',
  legendHeading: 'Legend',
  loadingIncidents: 'Loading incidents…',
  emptyState: 'No incidents match these filters',
  dismiss: 'Dismiss',
  mapLabel: 'Map of incidents, areas and borders',
  zoomToIraq: 'Zoom to Iraq',
  count: { one: '{total} incident', other: '{total} incidents' },
  countCapped: 'Showing {returned} of {total} incidents',
  countCappedNote: 'Only {returned} are on the map. Narrow the filters to see them all.',
  countStale: 'Not updated: the last request failed. The map shows the previous result.',
  loadedAt: 'Loaded {time}',
  nodeOnline: 'Node online · {incidents} incidents stored',
  nodeOffline: 'Node unreachable',
  errors: {
    network: 'Cannot reach the node. Check the connection and try again.',
    http: 'The node answered HTTP {status}.',
    layer: '{layer}: {detail}',
    areas: 'Area list: {detail}',
  },
  layers: {
    incidents: 'Incidents',
    neighbours: 'Neighbouring countries',
    adm1: 'Governorates',
    adm2: 'Districts',
    adm3: 'Sub-districts (zoom 9+)',
    disputed: 'Disputed territories',
    'kurdistan-region': 'Kurdistan Region',
    'syria-border': 'Syria border',
  },
  types: {
    state: 'State-based',
    nonstate: 'Non-state',
    onesided: 'One-sided',
    other: 'Other',
  },
  levels: { 1: 'Governorate', 2: 'District', 3: 'Sub-district' },
  flags: {
    disputed: 'Disputed territory',
    kurdistan_region: 'Kurdistan Region',
    syria_border_district: 'Syria border district',
  },
  popup: {
    date: 'Date',
    type: 'Type',
    actors: 'Actors',
    fatalities: 'Fatalities',
    place: 'Place',
    headline: 'Headline',
    source: 'Source',
    pcode: 'P-code',
    partOf: 'Part of',
    none: '—',
    unknown: 'unknown',
    versus: '{a} vs {b}',
    dateRange: '{from} to {to}',
    filterToArea: 'Show incidents in this area',
  },
  legend: {
    incidents: 'Incidents, by type',
    size: 'Size: fatalities',
    sizeSteps: ['0', '10', '100+'],
    clusters: 'Numbered circles group nearby incidents; the ring shows their mix of types.',
    areas: 'Areas and borders',
    adm1: 'Governorate boundary',
    adm2: 'District boundary',
    adm3: 'Sub-district boundary (zoom 9+)',
    disputed: 'Disputed territory',
    kri: 'Kurdistan Region',
    syria: 'Iraq–Syria border',
    neighbours: 'Neighbouring country',
  },
  cluster: '{count} incidents, {fatalities} fatalities',
  markerTitle: '{date} · {type}',
  attribution: {
    prefix: 'Leaflet',
    cod: 'COD-AB © Iraq CSO/OCHA (CC BY 3.0 IGO)',
    ucdp: 'UCDP GED (CC BY 4.0)',
    naturalEarth: 'Natural Earth',
  },
};

export const LANG = document.documentElement.lang || 'en';

function lookup(key) {
  return key.split('.').reduce((node, part) => (node == null ? node : node[part]), STRINGS);
}

/** The string at `key` ('popup.date'), with its {placeholders} filled from `params`. */
export function t(key, params) {
  const template = lookup(key);
  if (typeof template !== 'string') return key;
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    params && params[name] != null ? String(params[name]) : match);
}

/** The plural form of `key` ({one, other, ...}) that fits the number `n` in this language. */
export function plural(key, n) {
  const forms = lookup(key);
  return forms[new Intl.PluralRules(LANG).select(n)] || forms.other;
}

/** Fill the page's static labels: data-i18n sets the text, data-i18n-label the aria-label. */
export function translatePage() {
  document.title = t('documentTitle');
  document.querySelectorAll('[data-i18n]').forEach((element) => {
    element.textContent = t(element.dataset.i18n);
  });
  document.querySelectorAll('[data-i18n-label]').forEach((element) => {
    const label = t(element.dataset.i18nLabel);
    element.setAttribute('aria-label', label);
    if (element.tagName === 'BUTTON') element.title = label;
  });
}
