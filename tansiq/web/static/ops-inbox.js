/* The approvals inbox: operations pending approval that need the viewer's side and that side
 * has not yet approved, the nearest deadline first, with the time left and the escalation
 * level. Approve or veto (with a reason) the exact version shown. */

import { h } from './dom.js';
import {
  VIEWER, formatWhen, getJson, operationLink, send, setStatus, timeLeft,
} from './ops-common.js';
import { formatNumber, t } from './strings.js';

const status = document.querySelector('[data-testid="status"]');
const list = document.querySelector('[data-testid="approvals"]');

function waitingForUs(op) {
  return op.sides_needed.includes(VIEWER.side)
    && !op.approvals.some((d) => d.side === VIEWER.side && d.validity === 'valid');
}

function byDeadline(a, b) {
  return (a.deadline || '9999').localeCompare(b.deadline || '9999');
}

function card(op) {
  const left = op.deadline ? timeLeft(op.deadline) : null;
  const reason = h('textarea', {
    attrs: { rows: '2', maxlength: '2000', 'data-testid': 'veto-reason', 'aria-label': t('ops.inbox.vetoReason') },
  });
  const error = h('p', { className: 'alert', attrs: { role: 'alert', 'data-testid': 'inbox-error' } });
  error.hidden = true;
  const decide = async (decision) => {
    error.hidden = true;
    try {
      await send('POST', `/operations/${encodeURIComponent(op.id)}/${decision}`,
        { reason: reason.value.trim() || null });
      await load();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  };
  const button = (decision) => {
    const b = h('button', {
      className: 'button' + (decision === 'approve' ? ' button-primary' : ' button-danger'),
      attrs: { type: 'button', 'data-testid': 'inbox-' + decision },
    }, t('ops.actions.' + decision));
    b.addEventListener('click', () => decide(decision));
    return b;
  };
  const buttons = VIEWER.role === 'approver'
    ? [h('label', { className: 'field' }, t('ops.inbox.vetoReason'), reason),
      h('div', { className: 'actions' }, button('approve'), button('veto')), error] : [];
  return h('li', {
    className: 'inbox-item' + (left && left.past ? ' overdue' : ''),
    attrs: { 'data-testid': 'approval', 'data-id': op.id, 'data-deadline': op.deadline || '' },
  },
  h('h3', null, operationLink(op.id, op.name)),
  h('p', null, t('ops.inbox.summary', {
    type: t('ops.types.' + op.type), owner: op.owner, version: formatNumber(op.version),
  })),
  h('p', null, t('ops.window', { start: formatWhen(op.start), end: formatWhen(op.end) })),
  h('p', { attrs: { 'data-testid': 'time-left' } },
    left ? t(left.past ? 'ops.overdueBy' : 'ops.timeLeft', { time: left.text }) : t('ops.none'),
    ' · ', t('ops.inbox.escalation', { level: formatNumber(op.escalation_level) })),
  h('p', { className: 'hint' }, op.sides_needed.length > 1
    ? t('ops.twoKey', { sides: op.sides_needed.join(', ') })
    : t('ops.oneKey', { side: op.sides_needed.join(', ') })),
  h('p', null, h('code', { attrs: { dir: 'ltr' } }, op.hash.slice(0, 12))),
  ...buttons);
}

async function load() {
  setStatus(status, 'loading', t('ops.loading'));
  try {
    const pending = await getJson('/operations', { state: 'pending-approval' });
    const details = await Promise.all(pending.items.map(
      (op) => getJson('/operations/' + encodeURIComponent(op.id))));
    const waiting = details.filter(waitingForUs).sort(byDeadline);
    list.replaceChildren(...waiting.map(card));
    if (waiting.length) setStatus(status, null);
    else setStatus(status, 'empty', t('ops.inbox.empty'));
  } catch (error) {
    setStatus(status, 'error', error.message);
  }
}

load();
