/* Every string the page shows comes from the node, already translated into the page's
 * language: the page embeds it as JSON (<script type="application/json" id="strings">), built
 * from tansiq/web/strings.json and the gettext catalogues (tansiq/web/i18n.py). A count's forms
 * are keyed by CLDR plural category, for Intl.PluralRules. */

export const STRINGS = JSON.parse(document.getElementById('strings').textContent);

export const LANG = document.documentElement.lang || 'en';

/** The BCP 47 tag for formatting dates and numbers in this language (Iraq's conventions). */
export const LOCALE = document.documentElement.dataset.locale || LANG;

/** Whether the page reads right to left (Arabic, Kurdish). */
export const RTL = document.documentElement.dir === 'rtl';

/** An area's name in the page's script: Arabic script for Arabic and Kurdish. */
export function areaName(props) {
  if (!props) return '';
  return (LANG === 'en' ? props.name_en : props.name_ar || props.name_en) || props.pcode || '';
}

/** Digits as the node writes them on its pages: Eastern Arabic in Arabic and Kurdish (the
 * browser's own data for Kurdish may lack them, so they are asked for by name). */
export const NUMBERING = RTL ? 'arab' : 'latn';

/** A calendar date ('2014-06-10') written the way this language writes it. */
export function formatDate(isoDate) {
  const date = new Date(isoDate + 'T00:00:00Z');
  if (Number.isNaN(date.getTime())) return isoDate;
  return new Intl.DateTimeFormat(LOCALE, {
    dateStyle: 'medium', timeZone: 'UTC', numberingSystem: NUMBERING,
  }).format(date);
}

/** A number written the way this language writes it. */
export function formatNumber(n) {
  return new Intl.NumberFormat(LOCALE, { numberingSystem: NUMBERING }).format(n);
}

function lookup(key) {
  return key.split('.').reduce((node, part) => (node == null ? node : node[part]), STRINGS);
}

/** The string at `key` ('popup.date'), with its {placeholders} filled from `params`. */
export function t(key, params) {
  const template = lookup(key);
  if (typeof template !== 'string') return key;
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    params && params[name] != null ? String(params[name]) : match);
}

/** The plural form of `key` ({one, other, ...}) that fits the number `n` in this language. */
export function plural(key, n) {
  const forms = lookup(key);
  return forms[new Intl.PluralRules(LOCALE).select(n)] || forms.other;
}

/** Fill the page's static labels: data-i18n sets the text, data-i18n-label the aria-label. */
export function translatePage() {
  document.title = t('documentTitle');
  document.querySelectorAll('[data-i18n]').forEach((element) => {
    element.textContent = t(element.dataset.i18n);
  });
  document.querySelectorAll('[data-i18n-label]').forEach((element) => {
    const label = t(element.dataset.i18nLabel);
    element.setAttribute('aria-label', label);
    if (element.tagName === 'BUTTON') element.title = label;
  });
}
