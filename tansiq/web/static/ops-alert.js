/* The header's conflict alert, on every page of a signed-in person: a badge linking to the
 * conflicts page while the viewer's partner has conflicts it has not acknowledged. It asks
 * GET /api/conflicts/unacknowledged, a count of the viewer's own partner's conflicts (read
 * only, not a disclosure: the conflicts page is). It stands alone (no strings.js): its label is
 * rendered into base.html already translated. */

const badge = document.querySelector('[data-testid="conflict-badge"]');
const API = (document.body.dataset.apiBase || '/api') + '/conflicts/unacknowledged';

async function refresh() {
  let count = 0;
  try {
    const response = await fetch(API, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!response.ok) return; // no alert is shown when the node cannot say: never a false one
    count = Number((await response.json()).count) || 0;
  } catch (error) {
    return;
  }
  const html = document.documentElement;
  const digits = html.dir === 'rtl' ? 'arab' : 'latn';
  badge.querySelector('.badge-count').textContent = new Intl.NumberFormat(
    html.dataset.locale || html.lang, { numberingSystem: digits }).format(count);
  badge.dataset.count = String(count);
  badge.hidden = count === 0;
}

if (badge) {
  refresh();
  document.addEventListener('tansiq:conflicts-changed', refresh);
}
