/* The operations list: GET /api/operations (what is released to the viewer), newest first. */

import { h } from './dom.js';
import {
  formatWhen, getJson, operationLink, setStatus, stateBadge, timeLeft,
} from './ops-common.js';
import { formatNumber, t } from './strings.js';

const status = document.querySelector('[data-testid="status"]');
const table = document.querySelector('[data-testid="ops-table"]');
const filter = document.getElementById('state-filter');

function row(op) {
  const deadline = op.deadline ? timeLeft(op.deadline) : null;
  return h('tr', { attrs: { 'data-testid': 'op-row', 'data-id': op.id } },
    h('td', null, operationLink(op.id, op.name)),
    h('td', null, t('ops.types.' + op.type)),
    h('td', null, stateBadge(op.state)),
    h('td', null, formatNumber(op.version)),
    h('td', null, op.owner),
    h('td', null, t('ops.window', { start: formatWhen(op.start), end: formatWhen(op.end) })),
    h('td', null, op.two_key ? t('ops.twoKeyShort') : t('ops.oneKeyShort'),
      op.break_glass ? ' · ' + t('ops.breakGlass') : ''),
    h('td', { className: deadline && deadline.past ? 'overdue' : '' },
      deadline ? t(deadline.past ? 'ops.overdueBy' : 'ops.timeLeft', { time: deadline.text })
        : t('ops.none')));
}

async function load() {
  setStatus(status, 'loading', t('ops.loading'));
  table.hidden = true;
  try {
    const answer = await getJson('/operations', { state: filter.value });
    table.tBodies[0].replaceChildren(...answer.items.map(row));
    table.hidden = answer.items.length === 0;
    if (answer.items.length) setStatus(status, null);
    else setStatus(status, 'empty', t('ops.empty'));
  } catch (error) {
    setStatus(status, 'error', error.message);
  }
}

filter.addEventListener('change', load);
load();
