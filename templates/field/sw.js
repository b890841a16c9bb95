// RiverWatch phone app service worker (version {{ version }}). Rendered by Django so that it knows the
// current file names; a change to any cached file changes the version and replaces the old cache.
const CONFIG = {{ config|safe }};
const SHELL = `rw-shell-${CONFIG.version}`;
const DATA = 'rw-data';          // river network and outline: kept across versions, refreshed when online
const NETWORK_TIMEOUT_MS = 4000; // one bar of signal: do not stare at a blank page longer than this
const VERSION_HEADER = 'X-RiverWatch-Shell';

// A new version installs only complete: every file, and every screen either fresh or carried over
// from the version before. Otherwise the install fails and the old version stays in charge, so an
// update never leaves a phone without its offline screens.
self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL);
    await shell.addAll(CONFIG.precache);
    for (const url of CONFIG.screens) {
      let response = null;
      try {
        // A screen answered by the login page (session ended) must not be stored as that screen.
        const fresh = await fetch(url, { credentials: 'same-origin' });
        if (fresh.ok && !fresh.redirected && fresh.headers.get(VERSION_HEADER) === CONFIG.version) response = fresh;
      } catch (_) { /* offline: carried over below */ }
      if (!response) response = await caches.match(url);
      if (!response) throw new Error(`cannot cache ${url}`);
      await shell.put(url, response);
    }
    const data = await caches.open(DATA);
    for (const url of CONFIG.data) {
      if (await data.match(url)) continue;  // the page that registered us has just stored it
      try {
        const response = await fetch(url, { credentials: 'same-origin' });
        if (response.ok) await data.put(url, response);
      } catch (_) { /* fetched on the next visit with signal */ }
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('rw-shell-') && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

// Network first (so a connected phone sees fresh pages and data); the cached copy when the network
// fails, is too slow, or answers with an error. A login redirect is passed on, so that a signed-out
// user online is asked to sign in. A late network answer still refreshes the cache.
function networkFirst(event, cacheName, { cacheKey, keep }) {
  const network = fetch(event.request);
  const refreshed = network.then(async (response) => {
    if (keep(response)) await (await caches.open(cacheName)).put(cacheKey, response.clone());
  }).catch(() => {});
  event.waitUntil(refreshed);
  return (async () => {
    let response = null;
    try {
      response = await withTimeout(network, NETWORK_TIMEOUT_MS);
      if (response.ok || response.type === 'opaqueredirect' || response.redirected) return response;
    } catch (_) { /* no answer in time */ }
    const copy = await caches.match(cacheKey);
    if (copy) return copy;
    return response || network;  // nothing cached: the network's answer after all (or its failure)
  })();
}

function isCurrentScreen(response) {
  return response.ok && !response.redirected && response.headers.get(VERSION_HEADER) === CONFIG.version;
}

async function cacheFirst(request) {
  const copy = await caches.match(request);
  if (copy) return copy;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL)).put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Writes always go to the network (the page's outbox handles failures); other sites (map tiles)
  // are left to the browser.
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && CONFIG.screens.includes(url.pathname)) {
    event.respondWith(networkFirst(event, SHELL, { cacheKey: url.pathname, keep: isCurrentScreen }));
  } else if (CONFIG.data.includes(url.pathname)) {
    event.respondWith(networkFirst(event, DATA, { cacheKey: url.pathname, keep: (r) => r.ok && !r.redirected }));
  } else if (url.pathname === CONFIG.manifest) {
    event.respondWith(networkFirst(event, SHELL, { cacheKey: url.pathname, keep: (r) => r.ok && !r.redirected }));
  } else if (url.pathname.startsWith(CONFIG.static_prefix)) {
    event.respondWith(cacheFirst(request));
  }
});
