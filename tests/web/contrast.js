/* WCAG 2.1 contrast of every visible text on the page, measured in the browser.
 *
 * An arrow function for Playwright's page.evaluate(): it returns one finding per element that
 * holds visible text (its own text nodes, or the value shown in a form control), with the text's
 * colour, the colour behind it and their contrast ratio. The text's colour and the backgrounds
 * are composited as the browser paints them: each ancestor's background in turn, with the
 * opacity of every element on the way, over the white canvas.
 *
 * Given an element (focused), it measures that element's focus indicator instead (focusRing).
 */
(focusOf) => {
  const parse = (css) => {
    const m = css.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const over = (top, below) => {
    const a = top.a + below.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (k) => (top[k] * top.a + below[k] * below.a * (1 - top.a)) / a;
    return { r: mix('r'), g: mix('g'), b: mix('b'), a };
  };
  // WCAG 2.1 relative luminance and contrast ratio.
  const channel = (v) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
  const hex = (c) => '#' + [c.r, c.g, c.b]
    .map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');

  const opacityOf = (element) => {
    let product = 1;
    for (let e = element; e; e = e.parentElement) product *= Number(getComputedStyle(e).opacity);
    return product;
  };
  /* What is painted behind `element`: its own background and its ancestors', each faded by the
   * opacity of its element and the elements around it, down to the first opaque one, over the
   * white canvas. A background painted by an image or a gradient cannot be read: the layers
   * above it are then laid over black and over white, and both results are returned (a text
   * must be readable on either). */
  const backdrops = (element) => {
    const layers = [];
    let bottoms = [{ r: 255, g: 255, b: 255, a: 1 }];
    for (let e = element; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.backgroundImage !== 'none') {  // painted above the element's own colour
        bottoms = [{ r: 0, g: 0, b: 0, a: 1 }, { r: 255, g: 255, b: 255, a: 1 }];
        break;
      }
      const colour = parse(style.backgroundColor);
      if (colour && colour.a > 0) layers.push({ ...colour, a: colour.a * opacityOf(e) });
      if (layers.length && layers[layers.length - 1].a >= 1) break;
    }
    return bottoms.map((bottom) => layers.reduceRight((below, top) => over(top, below), bottom));
  };
  const describe = (e) => {
    let path = [];
    for (let x = e; x && x !== document.body && path.length < 4; x = x.parentElement) {
      let part = x.tagName.toLowerCase();
      if (x.id) { path.unshift(`${part}#${x.id}`); break; }
      if (x.dataset.testid) part += `[data-testid="${x.dataset.testid}"]`;
      else if (x.classList.length) part += '.' + [...x.classList].join('.');
      path.unshift(part);
    }
    return path.join(' > ');
  };

  const visible = (e) => {
    if (!e.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    const box = e.getBoundingClientRect();
    // Off the page (a skip link waiting for focus) or clipped to a pixel (visually-hidden).
    return box.width > 1 && box.height > 1 && box.bottom > 0 && box.right > 0;
  };

  if (focusOf) return focusRing(focusOf);

  /* The focus indicator of `element` (focused now): each painted part of it (the outline, each
   * box-shadow ring) with its contrast against what lies around the element. The best part must
   * reach 3:1 (WCAG 2.1, 1.4.11 non-text contrast). */
  function focusRing(element) {
    const style = getComputedStyle(element);
    const parts = [];
    if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) {
      const colour = parse(style.outlineColor);
      if (colour) parts.push({ part: 'outline', colour });
    }
    for (const shadow of style.boxShadow === 'none' ? [] : style.boxShadow.split(/,(?![^(]*\))/)) {
      const colour = parse(shadow);
      if (colour && !shadow.includes('inset')) parts.push({ part: 'box-shadow', colour });
    }
    // Each part against each possible backdrop: the worst backdrop counts, the best part.
    const arounds = backdrops(element.parentElement || element);
    const measured = parts.map((p) => ({
      part: p.part,
      colour: hex(p.colour),
      ratio: Math.min(...arounds.map((around) => ratio(over(p.colour, around), around))),
    }));
    return {
      element: describe(element),
      background: arounds.map(hex).join(' or '),
      parts: measured,
      ratio: Math.max(0, ...measured.map((p) => p.ratio)),
    };
  }

  const holders = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (node.textContent.trim() && parent && !parent.closest('script, style, noscript, option, svg')) {
      holders.add(parent);
    }
  }
  for (const control of document.querySelectorAll('input, select, textarea')) {
    const shown = control.tagName === 'SELECT' ? control.selectedOptions.length : control.value;
    if (control.type !== 'hidden' && control.type !== 'checkbox' && shown) holders.add(control);
  }

  const findings = [];
  for (const element of holders) {
    if (!visible(element) || element.disabled || element.closest('[aria-disabled="true"]')) continue;
    const style = getComputedStyle(element);
    const ink = parse(style.color);
    const worst = backdrops(element)
      .map((behind) => {
        const text = over({ ...ink, a: ink.a * opacityOf(element) }, behind);
        return { text, behind, ratio: ratio(text, behind) };
      })
      .sort((x, y) => x.ratio - y.ratio)[0];
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const shown = ['INPUT', 'SELECT', 'TEXTAREA'].includes(element.tagName)
      ? String(element.value) : element.textContent;
    findings.push({
      element: describe(element),
      text: shown.trim().slice(0, 40),
      colour: hex(worst.text),
      background: hex(worst.behind),
      size,
      large,
      ratio: worst.ratio,
      needed: large ? 3 : 4.5,
    });
  }
  return findings;
};
