/* The tasks board: the tasks the viewer's partner raised or received (GET /api/tasks), in
 * columns by state, overdue ones marked; the receiver's people move them on (POST
 * /api/tasks/{id}/{ack|start|done|decline}, done with feedback, decline with a reason). Under
 * it, the metrics per receiving partner (GET /api/tasks/metrics). */

import { h } from './dom.js';
import {
  VIEWER, formatHours, formatShare, formatWhen, getJson, send, setStatus,
} from './ops-common.js';
import { formatNumber, t } from './strings.js';

const STATES = ['open', 'acknowledged', 'in-progress', 'done', 'declined'];
const NEXT = { open: ['ack', 'decline'], acknowledged: ['start', 'decline'], 'in-progress': ['done', 'decline'] };
const status = document.querySelector('[data-testid="status"]');
const taskError = document.querySelector('[data-testid="task-error"]');
const metricsStatus = document.querySelector('[data-testid="metrics-status"]');
const metricsTable = document.querySelector('[data-testid="metrics"]');

async function move(task, action, text) {
  taskError.hidden = true;
  const body = action === 'done' ? { feedback: text } : { reason: text };
  try {
    await send('POST', `/tasks/${task.id}/${action}`, body);
    await load();
  } catch (error) {
    taskError.textContent = error.message;
    taskError.hidden = false;
    taskError.focus();
  }
}

function actions(task) {
  if (task.to_partner !== VIEWER.partner || !NEXT[task.state]) return [];
  const note = h('textarea', {
    attrs: {
      rows: '2', maxlength: '20000', 'data-testid': 'task-text',
      'aria-label': t('tasks.textLabel'),
    },
  });
  const buttons = NEXT[task.state].map((action) => {
    const button = h('button', {
      className: 'button' + (action === 'decline' ? ' button-danger' : ''),
      attrs: { type: 'button', 'data-testid': 'task-' + action },
    }, t('tasks.actions.' + action));
    button.addEventListener('click', () => move(task, action, note.value.trim()));
    return button;
  });
  return [h('label', { className: 'field' }, t('tasks.textLabel'), note),
    h('div', { className: 'actions' }, ...buttons)];
}

function due(task) {
  if (task.state === 'open') return t('tasks.ackDue', { time: formatWhen(task.ack_due) });
  if (task.state === 'acknowledged' || task.state === 'in-progress') {
    return t('tasks.doneDue', { time: formatWhen(task.done_due) });
  }
  return t('tasks.closedAt', { time: formatWhen(task.closed_at) });
}

function card(task) {
  const overdue = task.overdue_ack || task.overdue_done;
  return h('li', {
    className: 'task-card' + (overdue ? ' overdue' : ''),
    attrs: {
      'data-testid': 'task', 'data-id': String(task.id), 'data-state': task.state,
      'data-overdue': String(Boolean(overdue)),
    },
  },
  h('h3', null, task.title),
  h('p', { className: 'hint' }, t('tasks.route', { from: task.from_partner, to: task.to_partner }),
    ' · ', t('tasks.sources.' + task.source_kind)),
  task.body ? h('p', { className: 'task-body' }, task.body) : null,
  h('p', null, due(task)),
  overdue ? h('p', { className: 'overdue-mark', attrs: { 'data-testid': 'overdue' } },
    t(task.overdue_ack ? 'tasks.overdueAck' : 'tasks.overdueDone')) : null,
  task.feedback ? h('p', null, t('tasks.feedback', { text: task.feedback })) : null,
  task.reason ? h('p', null, t('tasks.reason', { text: task.reason })) : null,
  ...actions(task));
}

function metricRow(m) {
  return h('tr', { attrs: { 'data-testid': 'metric', 'data-partner': m.partner } },
    h('th', { attrs: { scope: 'row' } }, m.partner),
    h('td', null, formatNumber(m.received)),
    h('td', null, formatHours(m.median_ack_hours)),
    h('td', null, formatHours(m.p90_ack_hours)),
    h('td', { attrs: { 'data-field': 'share-done' } }, formatShare(m.share_done)),
    h('td', null, formatShare(m.share_declined)),
    h('td', { attrs: { 'data-field': 'overdue' } }, formatNumber(m.overdue)));
}

async function loadMetrics() {
  setStatus(metricsStatus, 'loading', t('ops.loading'));
  try {
    const answer = await getJson('/tasks/metrics');
    metricsTable.tBodies[0].replaceChildren(...answer.partners.map(metricRow));
    metricsTable.hidden = answer.partners.length === 0;
    if (answer.partners.length) setStatus(metricsStatus, null);
    else setStatus(metricsStatus, 'empty', t('tasks.noMetrics'));
  } catch (error) {
    setStatus(metricsStatus, 'error', error.message);
  }
}

async function load() {
  setStatus(status, 'loading', t('ops.loading'));
  try {
    const answer = await getJson('/tasks', { limit: 1000 });
    STATES.forEach((state) => {
      const column = document.querySelector(`[data-column="${state}"]`);
      const tasks = answer.items.filter((task) => task.state === state);
      column.querySelector('.cards').replaceChildren(...(tasks.length ? tasks.map(card)
        : [h('li', { className: 'list-empty' }, t('tasks.emptyColumn'))]));
      column.querySelector('.column-count').textContent = formatNumber(tasks.length);
    });
    if (answer.items.length) setStatus(status, null);
    else setStatus(status, 'empty', t('tasks.empty'));
  } catch (error) {
    setStatus(status, 'error', error.message);
  }
  loadMetrics();
}

load();
