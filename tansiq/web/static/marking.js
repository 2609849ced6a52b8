/* What the map's popups share about marked objects: the TLP badge and the day of a time. */

import { h } from './dom.js';
import { LOCALE, NUMBERING } from './strings.js';

/** The zone the node's pages write times in: both partners are in it. */
const DISPLAY_ZONE = 'Asia/Baghdad';

/** A TLP level ('amber+strict') as its badge, TLP:AMBER+STRICT, in the colours of FIRST's
 * standard. */
export function tlpBadge(tlp) {
  const level = String(tlp || '').toLowerCase();
  return h('span', {
    className: 'tlp tlp-' + level.replace('+', '-'),
    attrs: { dir: 'ltr', 'data-testid': 'tlp' },
  }, 'TLP:' + level.toUpperCase());
}

/** The day of a timestamp ('2024-01-01T00:00:00.000Z') in the centre's time zone, written the
 * way the page's language writes dates. */
export function formatMoment(isoTime) {
  const moment = new Date(isoTime);
  if (Number.isNaN(moment.getTime())) return String(isoTime);
  return new Intl.DateTimeFormat(LOCALE, {
    dateStyle: 'medium', timeZone: DISPLAY_ZONE, numberingSystem: NUMBERING,
  }).format(moment);
}
