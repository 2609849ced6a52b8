/* Helpers for walking a page with the Tab key (tests/web/test_accessibility.py).
 *
 * An arrow function for Playwright's page.evaluate(), called with a command:
 * - 'mark': numbers every element Tab should reach, in document order (data-tab-stop), and
 *   remembers how each looks unfocused; then puts the focus at the top of the page, where the
 *   next Tab starts from, and returns how many there are.
 * - 'focused': what has the focus now: its number (null if unmarked), a description, and
 *   whether its outline or box-shadow differs from how it looks unfocused.
 */
(command) => {
  const describe = (e) => {
    if (!e || e === document.body) return 'body';
    const name = e.dataset.testid ? `[data-testid="${e.dataset.testid}"]`
      : e.id ? `#${e.id}` : e.className && typeof e.className === 'string'
        ? '.' + e.className.trim().split(/\s+/).join('.') : '';
    return `${e.tagName.toLowerCase()}${name} "${(e.textContent || e.value || '').trim().slice(0, 30)}"`;
  };
  const ring = (e) => {
    const style = getComputedStyle(e);
    return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(' | ');
  };
  const reachable = (e) => {
    if (e.tabIndex < 0 || e.disabled || e.type === 'hidden') return false;
    if (!e.checkVisibility({ visibilityProperty: true })) return false;
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };

  if (command === 'mark') {
    if (document.activeElement) document.activeElement.blur();  // an autofocus field
    const candidates = document.querySelectorAll(
      'a[href], button, input, select, textarea, summary, [tabindex], [contenteditable="true"]');
    let count = 0;
    for (const e of candidates) {
      if (!reachable(e)) continue;
      e.dataset.tabStop = String(count++);
      e.dataset.unfocusedRing = ring(e);
    }
    const top = document.createElement('span');
    top.tabIndex = -1;
    document.body.prepend(top);
    top.focus();
    return count;
  }
  const e = document.activeElement;
  const marked = e && e.dataset && e.dataset.tabStop !== undefined;
  return {
    stop: marked ? Number(e.dataset.tabStop) : null,
    element: describe(e),
    testid: (e && e.dataset && e.dataset.testid) || '',
    ringChanged: marked ? ring(e) !== e.dataset.unfocusedRing : false,
    positiveTabindex: document.querySelectorAll('[tabindex]:not([tabindex="0"]):not([tabindex^="-"])').length,
  };
};
