/* A conflict as the node discloses it to the viewer's partner: that it exists, why, when, the
 * viewer's own item, and of the other side only the partner, whom to call and whether they
 * acknowledged. The other side's plan never reaches the page: the API does not send it. */

import { h } from './dom.js';
import { formatWhen, operationLink } from './ops-common.js';
import { t } from './strings.js';

function ownItem(item) {
  const label = item.name ? operationLink(item.ref, item.name)
    : t('ops.conflicts.item', { kind: t('ops.conflicts.kinds.' + item.kind), ref: item.ref });
  return h('li', null, label);
}

function otherSide(other) {
  return h('li', { attrs: { 'data-testid': 'conflict-other' } },
    h('strong', null, other.partner), ' · ',
    t('ops.conflicts.call', { contact: other.contact || t('ops.none') }),
    other.acknowledged ? ' · ' + t('ops.conflicts.theyAcknowledged') : '');
}

/** One conflict as a list item; `onAck(conflict, button)` adds an acknowledge button while
 * the viewer's side has not acknowledged. */
export function conflictItem(conflict, onAck) {
  const mine = conflict.yours || [];
  const acknowledged = mine.length > 0 && mine.every((item) => item.acknowledged);
  const reasons = (conflict.reasons || []).map((r) => t('ops.conflicts.reasons.' + r)).join(', ');
  const item = h('li', {
    className: 'conflict conflict-' + conflict.status,
    attrs: {
      'data-testid': 'conflict', 'data-conflict': String(conflict.id),
      'data-acknowledged': String(acknowledged),
    },
  },
  h('p', { className: 'conflict-title' },
    h('strong', null, t('ops.conflicts.title', { id: conflict.id })), ' · ',
    t('ops.conflicts.status.' + conflict.status), ' · ', formatWhen(conflict.found_at)),
  h('p', null, t('ops.conflicts.why', { reasons })),
  h('p', { className: 'conflict-label' }, t('ops.conflicts.yours')),
  h('ul', null, ...mine.map(ownItem)),
  h('p', { className: 'conflict-label' }, t('ops.conflicts.with')),
  h('ul', null, ...(conflict.other || []).map(otherSide)));
  if (onAck && !acknowledged && conflict.status !== 'resolved') {
    const button = h('button', {
      className: 'button', attrs: { type: 'button', 'data-testid': 'conflict-ack' },
    }, t('ops.conflicts.ack'));
    button.addEventListener('click', () => onAck(conflict, button));
    item.append(h('p', null, button));
  } else if (acknowledged) {
    item.append(h('p', { className: 'hint' }, t('ops.conflicts.acknowledged')));
  }
  return item;
}

/** The conflicts as a list, or the line saying there is none. */
export function conflictList(conflicts, onAck) {
  if (!conflicts.length) {
    return h('p', { className: 'empty', attrs: { 'data-testid': 'no-conflicts' } },
      t('ops.conflicts.none'));
  }
  return h('ul', { className: 'conflicts', attrs: { 'data-testid': 'conflicts' } },
    ...conflicts.map((c) => conflictItem(c, onAck)));
}
