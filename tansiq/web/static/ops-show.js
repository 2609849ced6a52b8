/* One operation: GET /api/operations/{id} (404 for one not released to the viewer), its state,
 * version, hash, approvals with their validity, conflicts as disclosed, and the moves the
 * viewer may make. The buttons offered follow the viewer's role and side; the node decides. */

import { h } from './dom.js';
import { conflictList } from './ops-conflict-view.js';
import {
  VIEWER, formatWhen, getJson, send, setStatus, stateBadge, tlpBadge,
} from './ops-common.js';
import { baseMap } from './ops-map.js';
import { formatNumber, t } from './strings.js';

const id = VIEWER.operation;
const status = document.querySelector('[data-testid="status"]');
const article = document.querySelector('[data-testid="operation"]');
const actions = document.querySelector('[data-testid="op-actions"]');
const reason = document.getElementById('action-reason');
const actionError = document.querySelector('[data-testid="action-error"]');
const PLANNERS = ['analyst', 'watch', 'approver', 'admin'];

let areaMap = null;

/** The [lat, lon] pairs of a normalised WKT (POINT, LINESTRING or one-ring POLYGON). */
function wktPoints(wkt) {
  return (wkt.match(/-?\d+(?:\.\d+)?\s+-?\d+(?:\.\d+)?/g) || []).map((pair) => {
    const [lon, lat] = pair.trim().split(/\s+/).map(Number);
    return [lat, lon];
  });
}

/** The operation's area on the map: as planned, with its extent (radius, half-width). */
function drawArea(op) {
  if (!areaMap) areaMap = baseMap('op-map');
  const { map } = areaMap;
  if (areaMap.layer) areaMap.layer.remove();
  const points = wktPoints(op.area.wkt);
  const style = { color: '#0b57d0', weight: 3, fillOpacity: 0.15, className: 'op-area' };
  const layer = L.featureGroup();
  if (op.area.kind === 'circle') {
    L.circle(points[0], { ...style, radius: op.area.extent_m }).addTo(layer);
  } else if (op.area.kind === 'corridor') {
    L.polyline(points, style).addTo(layer);
    points.forEach((p) => L.circle(p, { ...style, weight: 1, radius: op.area.extent_m }).addTo(layer));
  } else {
    L.polygon(points, style).addTo(layer);
  }
  areaMap.layer = layer.addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 13 });
  map.getContainer().dataset.area = op.area.kind;
}

function field(label, value, name) {
  return [h('dt', null, label), h('dd', { attrs: { 'data-field': name } }, value)];
}

function area(op) {
  const a = op.area || {};
  if (a.kind === 'circle') return t('ops.area.point', { radius: formatNumber(a.extent_m) });
  if (a.kind === 'corridor') return t('ops.area.corridor', { width: formatNumber(2 * a.extent_m) });
  return t('ops.area.polygon');
}

function decisionRow(d) {
  return h('li', {
    className: 'decision validity-' + d.validity,
    attrs: { 'data-testid': 'decision', 'data-validity': d.validity, 'data-side': d.side },
  },
  h('strong', null, t('ops.decisions.' + d.decision)), ' · ', d.side, ' · ', d.approver, ' · ',
  t('ops.fields.versionN', { version: formatNumber(d.version) }), ' · ', formatWhen(d.at), ' · ',
  h('span', { className: 'validity' }, t('ops.validity.' + d.validity)),
  d.reason ? h('p', { className: 'reason' }, d.reason) : null);
}

/** The moves to offer: [event, label key, needs a reason]. */
function moves(op) {
  const own = VIEWER.partner === op.owner && PLANNERS.includes(VIEWER.role);
  const approver = VIEWER.role === 'approver';
  const offered = [];
  if (own && op.state === 'draft') offered.push(['submit', false]);
  const sideApproved = op.approvals.some((d) => d.side === VIEWER.side && d.validity === 'valid');
  if (approver && op.state === 'pending-approval' && op.sides_needed.includes(VIEWER.side)
      && !sideApproved) {
    offered.push(['approve', false], ['veto', true]);
  }
  if (own && op.state === 'approved') offered.push(['activate', false]);
  if (own && approver && ['submitted', 'pending-approval'].includes(op.state)) {
    offered.push(['break-glass', true]);
  }
  if (own && op.state === 'active') offered.push(['close', false]);
  if (own && !['active', 'closed', 'cancelled'].includes(op.state)) offered.push(['cancel', false]);
  return offered;
}

async function act(event) {
  actionError.hidden = true;
  const text = reason.value.trim();
  const body = { reason: text || null };
  const path = event === 'break-glass' ? 'activate' : event;
  if (event === 'break-glass') body.break_glass = true;
  try {
    await send('POST', `/operations/${encodeURIComponent(id)}/${path}`, body);
    reason.value = '';
    await load();
  } catch (error) {
    actionError.textContent = error.message;
    actionError.hidden = false;
    actionError.focus();
  }
}

function show(op) {
  document.querySelector('[data-testid="op-heading"]').textContent = op.name;
  const deadline = op.deadline ? formatWhen(op.deadline) : t('ops.none');
  document.querySelector('[data-testid="op-fields"]').replaceChildren(
    ...field(t('ops.fields.state'), stateBadge(op.state), 'state'),
    ...field(t('ops.fields.type'), t('ops.types.' + op.type), 'type'),
    ...field(t('ops.fields.version'), formatNumber(op.version), 'version'),
    ...field(t('ops.fields.hash'), h('code', { attrs: { dir: 'ltr', title: op.hash } },
      op.hash.slice(0, 12)), 'hash'),
    ...field(t('ops.fields.hashOk'), op.hash_ok ? t('ops.yes') : t('ops.hashBroken'), 'hash-ok'),
    ...field(t('ops.fields.owner'), op.owner, 'owner'),
    ...field(t('ops.fields.window'),
      t('ops.window', { start: formatWhen(op.start), end: formatWhen(op.end) }), 'window'),
    ...field(t('ops.fields.area'), area(op), 'area'),
    ...field(t('ops.fields.approval'), op.sides_needed.length > 1
      ? t('ops.twoKey', { sides: op.sides_needed.join(', ') })
      : t('ops.oneKey', { side: op.sides_needed.join(', ') || t('ops.none') }), 'two-key'),
    ...field(t('ops.fields.deadline'), deadline, 'deadline'),
    ...field(t('ops.fields.escalation'), formatNumber(op.escalation_level), 'escalation'),
    ...field(t('ops.fields.units'), op.units.join(', ') || t('ops.none'), 'units'),
    ...field(t('ops.fields.marking'), tlpBadge(op.tlp), 'marking'),
    ...field(t('ops.fields.releasableTo'), op.releasable_to.join(', ') || t('ops.none'), 'releasable'),
    ...(op.break_glass ? field(t('ops.breakGlass'), t('ops.yes'), 'break-glass') : []),
  );
  const decisions = [...op.approvals, ...op.vetoes];
  document.querySelector('[data-testid="op-decisions"]').replaceChildren(decisions.length
    ? h('ul', { className: 'decisions' }, ...decisions.map(decisionRow))
    : h('p', { className: 'empty' }, t('ops.decisions.none')));
  document.querySelector('[data-testid="op-conflicts"]').replaceChildren(
    conflictList(op.conflicts, null));
  const offered = moves(op);
  actions.replaceChildren(...(offered.length ? offered.map(([event, needsReason]) => {
    const button = h('button', {
      className: 'button' + (event === 'break-glass' || event === 'veto' ? ' button-danger' : ''),
      attrs: { type: 'button', 'data-testid': 'op-' + event, 'data-reason': String(needsReason) },
    }, t('ops.actions.' + event));
    button.addEventListener('click', () => act(event));
    return button;
  }) : [h('p', { className: 'empty' }, t('ops.actions.none'))]));
  article.hidden = false;
  drawArea(op);
  article.dataset.state = op.state;
}

async function load() {
  setStatus(status, 'loading', t('ops.loading'));
  try {
    show(await getJson('/operations/' + encodeURIComponent(id)));
    setStatus(status, null);
  } catch (error) {
    article.hidden = true;
    setStatus(status, 'error', error.message);
  }
}

load();
