// What the desk pages and the phone app share, one copy each: HTML escaping, JSON from the server
// and the activity kinds' colours. Imported by relative path (production rewrites the imports to the
// hashed file names), and kept offline on phones (SHELL_STATIC in patrols/field_views.py).

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// For text put into an HTML string (popups, legends): a name typed into the admin stays text.
export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

// Characters that change how text shows without being seen (bidirectional overrides, zero-width):
// the same set as INVISIBLE in riverwatch/text.py (a test compares them). A note keeps them as written
// but shows each as a visible mark, so it cannot hide text or reverse what follows.
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;
const codePoint = (c) => `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

// A note as HTML: escaped, its invisible characters as marks (the pages' reveal_invisible filter).
export function revealInvisible(value) {
  return escapeHtml(value).replace(INVISIBLE,
    (c) => `<span class="invisible-char" title="${codePoint(c)}">${codePoint(c)}</span>`);
}

// The same as DOM nodes, for code that builds elements: text nodes and mark spans.
export function revealInvisibleNodes(value) {
  const text = String(value ?? '');
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INVISIBLE)) {
    nodes.push(document.createTextNode(text.slice(last, match.index)));
    const mark = document.createElement('span');
    mark.className = 'invisible-char';
    mark.title = mark.textContent = codePoint(match[0]);
    nodes.push(mark);
    last = match.index + match[0].length;
  }
  nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

// An answer that is not the data asked for. The message is the server's own sentence (`detail`) when
// it gave one, for showing as it is; status, detail, code (e.g. sign_in_again) and the parsed JSON
// body (or null) are there for callers that decide by them.
export class HTTPError extends Error {
  constructor(message, { status, detail = '', code = null, body = null }) {
    super(message);
    this.name = 'HTTPError';
    Object.assign(this, { status, detail, code, body });
  }
}

// The HTTPError for a refused request, read from its body.
export async function responseError(response, url = response.url) {
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    // not JSON: a proxy's or the web server's own error page, with nothing to tell the user
  }
  const detail = body && body.detail !== undefined && body.detail !== null ? String(body.detail) : '';
  return new HTTPError(detail || `${url}: HTTP ${response.status}`, {
    status: response.status, detail, code: (body && body.code) || null, body,
  });
}

// A GET to our own API, checked, as the Response itself: for a caller that keeps a copy (the phone
// keeps the river network for offline use). Everyone else wants fetchJSON.
export async function fetchJSONResponse(url, { signal } = {}) {
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, signal });
  if (!response.ok) throw await responseError(response, url);
  // A 200 that is not JSON is the login page after a redirect (the session ended), not data.
  if (!/json/i.test(response.headers.get('Content-Type') || '')) {
    throw new HTTPError(`${url}: HTTP ${response.status}, not JSON`, { status: response.status });
  }
  return response;
}

// The JSON of a GET to our own API. Rejects with an HTTPError when the server refuses (carrying its
// `detail` sentence), with an AbortError when signal aborts, and with a TypeError when offline.
export async function fetchJSON(url, { signal } = {}) {
  return (await fetchJSONResponse(url, { signal })).json();
}

const kindColours = new Map();

// An activity kind's colour, as css/kinds.css defines it (--kind-<kind>); an unknown kind gets other's.
export function kindColour(kind) {
  if (!kindColours.has(kind)) {
    const style = getComputedStyle(document.documentElement);
    const read = (name) => style.getPropertyValue(`--kind-${name}`).trim();
    const colour = read(kind) || read('other');
    if (!colour) return 'gray';  // kinds.css did not load: still draw, and look again next time
    kindColours.set(kind, colour);
  }
  return kindColours.get(kind);
}
