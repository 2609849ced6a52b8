/* Building DOM from data. Text only ever goes in as text nodes, never as HTML. */

/** A new element: h('p', {className: 'x', attrs: {lang: 'ar'}}, 'text', childNode). */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  const options = props || {};
  if (options.className) element.className = options.className;
  Object.entries(options.attrs || {}).forEach(([name, value]) => {
    element.setAttribute(name, value);
  });
  children.forEach((child) => {
    if (child != null) element.append(child instanceof Node ? child : String(child));
  });
  return element;
}

/** Fill `target` with `template`, putting the given nodes or strings at its {slots}. */
export function fillTemplate(target, template, slots) {
  target.replaceChildren();
  template.split(/(\{\w+\})/).forEach((part) => {
    const slot = /^\{(\w+)\}$/.exec(part);
    const value = slot && slots[slot[1]] != null ? slots[slot[1]] : part;
    target.append(value instanceof Node ? value : String(value));
  });
}

/** A colour defined once, as a custom property in map.css (`--state`, `--kri`...). */
export function cssColour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue('--' + name).trim();
}
