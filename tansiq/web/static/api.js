/* The node's JSON API. Errors come back as application/problem+json; their `detail` is what
 * the page shows. */

import { t } from './strings.js';

const API_BASE = document.body.dataset.apiBase || '/api';

/** An answer from the node that is not a success, or no answer at all. */
export class ApiError extends Error {}

async function problemDetail(response) {
  try {
    const body = await response.json();
    if (body && typeof body.detail === 'string' && body.detail) return body.detail;
    if (body && typeof body.title === 'string' && body.title) return body.title;
  } catch (ignored) {
    // Not JSON: fall back to the status.
  }
  return t('errors.http', { status: response.status });
}

/** GET `path` under the API with the non-empty `params`; an AbortError passes through. */
export async function getJson(path, params, signal) {
  const url = new URL(API_BASE + path, window.location.href);
  Object.entries(params || {}).forEach(([name, value]) => {
    if (value !== '' && value != null && value !== false) url.searchParams.set(name, value);
  });
  let response;
  try {
    response = await fetch(url, {
      signal,
      credentials: 'same-origin',
      headers: { Accept: 'application/json, application/geo+json, application/problem+json' },
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(t('errors.network'));
  }
  if (!response.ok) throw new ApiError(await problemDetail(response));
  return response.json();
}

/** A yes/no flag as the API sends it. */
export function isYes(value) {
  return value === true || value === 1 || value === 'true' || value === 'Y';
}
