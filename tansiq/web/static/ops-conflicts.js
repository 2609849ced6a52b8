/* The viewer's partner's conflicts (GET /api/conflicts), as disclosed to it, with a button to
 * acknowledge each (POST /api/conflicts/{id}/ack), and the notices to the viewer's side. */

import { h } from './dom.js';
import { conflictList } from './ops-conflict-view.js';
import { formatWhen, getJson, operationLink, send, setStatus } from './ops-common.js';
import { t } from './strings.js';

const status = document.querySelector('[data-testid="status"]');
const target = document.querySelector('[data-testid="conflict-list"]');
const notices = document.querySelector('[data-testid="notices"]');
const resolved = document.getElementById('show-resolved');
const ackError = document.querySelector('[data-testid="ack-error"]');

async function acknowledge(conflict, button) {
  button.disabled = true;
  ackError.hidden = true;
  try {
    await send('POST', `/conflicts/${conflict.id}/ack`);
    await load();
    document.dispatchEvent(new CustomEvent('tansiq:conflicts-changed'));
  } catch (error) {
    button.disabled = false;
    ackError.textContent = error.message;
    ackError.hidden = false;
    ackError.focus();
  }
}

function notice(n) {
  return h('li', { attrs: { 'data-testid': 'notice', 'data-kind': n.kind } },
    t('ops.notices.' + n.kind, { owner: n.owner }), ' · ',
    operationLink(n.operation, t('ops.notices.operation')), ' · ',
    t('ops.conflicts.call', { contact: n.contact }), ' · ', formatWhen(n.at));
}

async function load() {
  setStatus(status, 'loading', t('ops.loading'));
  try {
    const answer = await getJson('/conflicts', { all: resolved.checked ? 'true' : '' });
    target.replaceChildren(conflictList(answer.conflicts, acknowledge));
    notices.replaceChildren(...(answer.notices.length ? answer.notices.map(notice)
      : [h('li', { className: 'list-empty' }, t('ops.notices.none'))]));
    setStatus(status, null);
  } catch (error) {
    setStatus(status, 'error', error.message);
  }
}

resolved.addEventListener('change', load);
load();
