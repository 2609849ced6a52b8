/* Plan an operation: draw its area on the map (draw.js), fill in the form, save it as a
 * draft (POST /api/operations), then submit it for approval (POST .../submit). The answer
 * shows its state, whether both sides' keys are needed (a disputed district is touched), and
 * its conflicts as the node discloses them: that one exists, with whom, whom to call. */

import { h } from './dom.js';
import { createDrawTool } from './draw.js';
import {
  clearRefusals, getJson, operationLink, send, setStatus, showRefusal, stateBadge,
} from './ops-common.js';
import { baseMap } from './ops-map.js';
import { formatNumber, plural, t } from './strings.js';
import { conflictList } from './ops-conflict-view.js';

const form = document.getElementById('op-form');
const field = (name) => form.elements.namedItem(name);
const statusLine = document.querySelector('[data-testid="op-busy"]');
const answer = document.querySelector('[data-testid="op-answer"]');
const submitButton = document.querySelector('[data-testid="op-submit"]');
const drawStatus = document.querySelector('[data-testid="draw-status"]');
const { map } = baseMap('plan-map');

// The API names an area's problem by the part of it that is wrong: all go next to the map.
const ALIASES = {
  wkt: 'area', width_m: 'area', radius_m: 'area', lat: 'area', lon: 'area', 'lat/lon': 'area',
  unit: 'units', 'start/end': 'start',
};

const tool = createDrawTool(map, showDrawing);

function showDrawing() {
  const count = tool.vertices.length;
  let text = t('ops.draw.' + (tool.finished ? 'finished' : 'drawing'),
    { points: plural('ops.draw.points', count).replace('{n}', formatNumber(count)) });
  if (tool.problem) text = t('ops.draw.tooFew.' + tool.problem);
  drawStatus.textContent = text;
  drawStatus.dataset.points = String(count);
  drawStatus.dataset.finished = String(tool.finished);
  const area = tool.area();
  field('wkt').value = area.wkt || (area.lat != null ? `POINT (${area.lon} ${area.lat})` : '');
  map.getContainer().dataset.vertices = String(count);
}

field('mode').addEventListener('change', () => {
  const mode = field('mode').value;
  tool.setMode(mode);
  form.querySelectorAll('[data-size]').forEach((label) => {
    label.hidden = !((label.dataset.size === 'width_m' && mode === 'route')
      || (label.dataset.size === 'radius_m' && mode === 'point'));
  });
});
['width_m', 'radius_m'].forEach((name) => field(name).addEventListener('input', () => {
  tool.setSize(name, field(name).value);
}));
/** A point typed as "latitude, longitude" (Western or Eastern Arabic digits): added, and the
 * map moved to it. */
function addTyped() {
  const text = field('vertex').value.replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/٫/g, '.').replace(/،/g, ',');
  const parts = text.split(/[,\s]+/).filter(Boolean).map(Number);
  const slot = form.querySelector('[data-error-for="vertex"]');
  if (parts.length !== 2 || !parts.every(Number.isFinite) || Math.abs(parts[0]) > 90
      || Math.abs(parts[1]) > 180) {
    slot.textContent = t('ops.draw.badPoint');
    slot.hidden = false;
    return;
  }
  slot.hidden = true;
  const point = L.latLng(parts[0], parts[1]);
  map.setView(point, Math.max(map.getZoom(), 12), { animate: false });
  tool.add(point);
  field('vertex').value = '';
}

form.querySelectorAll('[data-draw]').forEach((button) => button.addEventListener('click', () => {
  ({
    centre: tool.addCentre, undo: tool.undo, clear: tool.clear, finish: tool.finish, typed: addTyped,
  })[button.dataset.draw]();
}));
field('vertex').addEventListener('keydown', (event) => {
  if (event.key === 'Enter') {
    event.preventDefault();
    addTyped();
  }
});
showDrawing();

function lines(name) {
  return field(name).value.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
}

function isoFrom(name) {
  const value = field(name).value;
  if (!value) return null;
  const moment = new Date(value); // the browser's local time: Baghdad's for the centre
  return Number.isNaN(moment.getTime()) ? value : moment.toISOString();
}

function plan() {
  return {
    name: field('name').value.trim(),
    type: field('type').value,
    ...tool.area(),
    start: isoFrom('start'),
    end: isoFrom('end'),
    units: lines('units'),
    subjects: lines('subjects'),
    links: lines('links'),
    tlp: field('tlp').value,
    releasable_to: Array.from(form.querySelectorAll('input[name="releasable_to"]:checked'))
      .map((box) => box.value),
  };
}

let saved = null;

/** The page's answer: the operation as the node has it now. */
function showOperation(op) {
  const twoKey = op.sides_needed && op.sides_needed.length > 1;
  const rows = [
    [t('ops.fields.state'), stateBadge(op.state)],
    [t('ops.fields.version'), formatNumber(op.version)],
    [t('ops.fields.approval'), h('span', { attrs: { 'data-testid': 'op-two-key', 'data-value': String(twoKey) } },
      twoKey ? t('ops.twoKey', { sides: op.sides_needed.join(', ') })
        : t('ops.oneKey', { side: (op.sides_needed || []).join(', ') || t('ops.none') }))],
  ];
  answer.replaceChildren(
    h('h2', null, t('ops.saved')),
    h('p', null, operationLink(op.id, op.name)),
    h('dl', { className: 'fields' }, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
  );
  if (op.state !== 'draft') {
    answer.append(h('h3', null, t('ops.conflicts.heading')), conflictList(op.conflicts || [], null));
  }
  answer.hidden = false;
  answer.dataset.state = op.state;
  submitButton.hidden = op.state !== 'draft';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearRefusals(form);
  if (!tool.finished && !tool.finish()) {
    showRefusal(form, Object.assign(new Error(t('ops.draw.tooFew.' + tool.mode)), { field: 'area' }));
    return;
  }
  setStatus(statusLine, 'loading', t('ops.saving'));
  try {
    const body = plan();
    saved = saved ? await send('PATCH', '/operations/' + encodeURIComponent(saved.id), body)
      : await send('POST', '/operations', body);
    setStatus(statusLine, null);
    showOperation(saved);
  } catch (error) {
    setStatus(statusLine, null);
    showRefusal(form, error, ALIASES);
  }
});

submitButton.addEventListener('click', async () => {
  clearRefusals(form);
  setStatus(statusLine, 'loading', t('ops.submitting'));
  try {
    await send('POST', `/operations/${encodeURIComponent(saved.id)}/submit`);
    saved = await getJson('/operations/' + encodeURIComponent(saved.id));
    setStatus(statusLine, null);
    showOperation(saved);
  } catch (error) {
    setStatus(statusLine, null);
    showRefusal(form, error, ALIASES);
  }
});
