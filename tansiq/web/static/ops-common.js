/* What the operations, tasks and border pages share: writing to the API (problem details
 * tied to the form field they name), dates in the page's language, and the page's states
 * (loading, empty, error). Text only ever goes in as text nodes (dom.js). */

import { ApiError, getJson } from './api.js';
import { h } from './dom.js';
import { LOCALE, NUMBERING, t } from './strings.js';

export { ApiError, getJson };

const API_BASE = document.body.dataset.apiBase || '/api';

/** A refusal from the node: its problem detail, and the field the detail names ("name: ..."). */
export class Refused extends ApiError {
  constructor(detail, status) {
    super(detail);
    this.status = status;
    const named = /^([a-z_/]+):\s/.exec(detail);
    this.field = named ? named[1] : '';
  }
}

/** POST (or PATCH...) `body` as JSON to `path` under the API; the answer's JSON. */
export async function send(method, path, body) {
  let response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json, application/problem+json',
        'Content-Type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(t('errors.network'));
  }
  if (response.ok) return response.json();
  let detail = t('errors.http', { status: response.status });
  try {
    const problem = await response.json();
    detail = (problem && (problem.detail || problem.title)) || detail;
  } catch (ignored) {
    // Not JSON: the status says enough.
  }
  throw new Refused(detail, response.status);
}

/** A moment ('2026-11-26T10:00:00Z') as the page's language writes a date and time, in the
 * centre's time zone (both partners are in it). */
export function formatWhen(iso) {
  if (!iso) return t('ops.none');
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALE, {
    dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Baghdad',
    numberingSystem: NUMBERING, hourCycle: 'h23',
  }).format(moment);
}

/** A number of hours, minutes... as the page's language writes a duration (Intl units). */
function unit(n, name) {
  return new Intl.NumberFormat(LOCALE, {
    style: 'unit', unit: name, unitDisplay: 'long', numberingSystem: NUMBERING,
    maximumFractionDigits: 1,
  }).format(n);
}

/** How long from now until `iso` ("3 hours"), or how long ago it passed (`past` true). */
export function timeLeft(iso, now = Date.now()) {
  const ms = new Date(iso).getTime() - now;
  const minutes = Math.abs(ms) / 60000;
  let text;
  if (minutes < 90) text = unit(Math.round(minutes), 'minute');
  else if (minutes < 48 * 60) text = unit(Math.round(minutes / 60), 'hour');
  else text = unit(Math.round(minutes / 1440), 'day');
  return { text, past: ms < 0 };
}

/** A number of hours (metrics) in the page's digits, or the "none" mark. */
export function formatHours(hours) {
  return hours == null ? t('ops.none') : unit(hours, 'hour');
}

/** A share (0..1) as a percentage in the page's digits. */
export function formatShare(share) {
  return new Intl.NumberFormat(LOCALE, {
    style: 'percent', maximumFractionDigits: 0, numberingSystem: NUMBERING,
  }).format(share || 0);
}

/** The status line of a list: loading, empty, error, or nothing (content shown). */
export function setStatus(element, kind, text) {
  element.hidden = !kind;
  element.dataset.state = kind || 'ready';
  element.className = 'status' + (kind ? ' status-' + kind : '');
  element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  element.replaceChildren(
    ...(kind === 'loading' ? [h('span', { className: 'spinner', attrs: { 'aria-hidden': 'true' } })]
      : []),
    text || '',
  );
}

/** Show a refusal next to the field it names (an element [data-error-for=field]), or in the
 * form's own alert when it names none; `aliases` maps the API's field names to the form's. */
export function showRefusal(form, error, aliases = {}) {
  clearRefusals(form);
  const field = aliases[error.field] || error.field || '';
  const slot = (field && form.querySelector(`[data-error-for="${field}"]`))
    || form.querySelector('[data-error-for="form"]');
  slot.textContent = error.message;
  slot.hidden = false;
  const input = field && form.querySelector(`[name="${field}"]`);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } else {
    slot.focus();
  }
}

export function clearRefusals(form) {
  form.querySelectorAll('[data-error-for]').forEach((slot) => {
    slot.hidden = true;
    slot.textContent = '';
  });
  form.querySelectorAll('[aria-invalid]').forEach((input) => input.removeAttribute('aria-invalid'));
}

/** The page's base path ('' or a prefix), for links to other pages. */
export const ROOT = (document.body.dataset.apiBase || '/api').replace(/\/api$/, '');

/** A link to one operation's page. */
export function operationLink(id, text) {
  return h('a', {
    attrs: { href: `${ROOT}/operations/${encodeURIComponent(id)}`, 'data-testid': 'op-link' },
  }, text);
}

/** An operation's state as a labelled badge. */
export function stateBadge(state) {
  return h('span', {
    className: 'state state-' + state, attrs: { 'data-state': state, 'data-testid': 'op-state' },
  }, t('ops.states.' + state));
}

/** A TLP marking as the report pages show one. */
export function tlpBadge(tlp) {
  return h('span', { className: 'tlp tlp-' + String(tlp).replace('+', '-'), attrs: { dir: 'ltr' } },
    'TLP:' + String(tlp).toUpperCase());
}

/** Where the page's data sits: <main data-*> filled by the server (the viewer's own). */
export const VIEWER = document.getElementById('main').dataset;
