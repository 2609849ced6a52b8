/* The report form's map: a click sets the latitude and longitude fields (and typing them moves
 * the marker). Only the shipped borders are drawn: no tile server. */

import { LANG, RTL, t } from './strings.js';

const IRAQ_BOUNDS = [[29.0, 38.7], [37.4, 48.6]];
const latInput = document.getElementById('place-lat');
const lonInput = document.getElementById('place-lon');
const base = document.body.dataset.apiBase || '/api';

const map = L.map('place-map', { zoomSnap: 0.5, minZoom: 4, maxZoom: 14, zoomControl: false });
L.control.zoom({
  position: RTL ? 'topright' : 'topleft', zoomInTitle: t('zoomIn'), zoomOutTitle: t('zoomOut'),
}).addTo(map);
map.attributionControl.setPosition(RTL ? 'bottomleft' : 'bottomright');
map.attributionControl.setPrefix(t('attribution.prefix'));
map.attributionControl.addAttribution(t('attribution.cod'));
map.fitBounds(IRAQ_BOUNDS);
let marker = null;

function place(lat, lon) {
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
  if (marker) marker.setLatLng([lat, lon]);
  else marker = L.circleMarker([lat, lon], { radius: 7, color: '#0b57d0', weight: 3 }).addTo(map);
}

map.on('click', (event) => {
  latInput.value = event.latlng.lat.toFixed(5);
  lonInput.value = event.latlng.lng.toFixed(5);
  place(event.latlng.lat, event.latlng.lng);
});
[latInput, lonInput].forEach((input) => input.addEventListener('change', () => {
  place(Number(latInput.value), Number(lonInput.value));
}));
place(Number(latInput.value) || NaN, Number(lonInput.value) || NaN);

/* While the title and text are typed, the node is asked which place they name
 * (GET /api/geocode); a place found is offered under the text, and "Use this place" fills the
 * place fields and moves the marker. Nothing is filled without the click. */
const titleInput = document.querySelector('[data-testid="report-title"]');
const textInput = document.querySelector('[data-testid="report-text"]');
const placeInput = document.querySelector('[data-testid="report-place"]');
const suggestion = document.querySelector('[data-testid="place-suggestion"]');
const suggestionName = document.querySelector('[data-testid="place-suggestion-name"]');
const useSuggestion = document.querySelector('[data-testid="place-suggestion-use"]');
const GEOCODE_MAX = 2000; // what the node reads (tansiq.api.geocode.MAX_QUERY)
let suggested = null;
let asking = null;
let typingTimer = 0;

function reportText() {
  return `${titleInput.value}\n${textInput.value}`.trim().slice(0, GEOCODE_MAX);
}

async function suggest() {
  const q = reportText();
  if (asking) asking.abort();
  if (q.length < 3) {
    suggestion.hidden = true;
    return;
  }
  asking = new AbortController();
  try {
    const response = await fetch(`${base}/geocode?q=${encodeURIComponent(q)}`, {
      credentials: 'same-origin', signal: asking.signal,
    });
    suggested = response.ok ? await response.json() : null;
  } catch (error) {
    if (error.name === 'AbortError') return;
    suggested = null; // no suggestion is no loss: the place can still be picked by hand
  }
  suggestion.hidden = suggested === null;
  if (suggested) suggestionName.textContent = suggestedName();
}

/** The place's name in the page's script: Arabic script for Arabic and Kurdish, if known. */
function suggestedName() {
  return (LANG !== 'en' && suggested.matched_name_ar) || suggested.matched_name;
}

function typed() {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(suggest, 400);
}

[titleInput, textInput].forEach((input) => input.addEventListener('input', typed));
useSuggestion.addEventListener('click', () => {
  if (!suggested) return;
  placeInput.value = suggestedName();
  latInput.value = suggested.latitude.toFixed(5);
  lonInput.value = suggested.longitude.toFixed(5);
  place(suggested.latitude, suggested.longitude);
  map.setView([suggested.latitude, suggested.longitude], Math.max(map.getZoom(), 9));
  suggestion.hidden = true;
});

/* The borders come from the node: the map says it is loading until both layers are drawn, and
 * says so if they cannot be loaded (the coordinates can still be typed). */
const mapElement = document.getElementById('place-map');
const loading = document.querySelector('[data-testid="place-map-loading"]');
const failed = document.querySelector('[data-testid="place-map-error"]');

async function drawLayer(name) {
  const response = await fetch(`${base}/layers/${name}`, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
  L.geoJSON(await response.json(), {
    interactive: false,
    style: name === 'disputed'
      ? { color: '#e07b00', weight: 1.5, fillOpacity: 0.08 }
      : { color: '#5f6b75', weight: 1, fill: false },
  }).addTo(map);
}

Promise.allSettled(['adm1', 'disputed'].map(drawLayer)).then((results) => {
  loading.hidden = true;
  mapElement.setAttribute('aria-busy', 'false');
  failed.hidden = results.every((result) => result.status === 'fulfilled');
});
