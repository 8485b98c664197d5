// The desk's service worker: it keeps this build's app shell (index.html, the hashed assets, the
// favicon) so a reload with no network still starts the app, which then shows the board and the
// queue from IndexedDB. API calls and config.json always go to the network; nothing else is cached.
// The build (vite.config.ts) replaces the placeholder below with this build's files and version.
const { version, files } = self.__DESK_PRECACHE__;
const CACHE = `desk-shell-${version}`;
const at = (file) => new URL(file, self.registration.scope).href;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(files.map(at));
      await self.skipWaiting();
    })(),
  );
});

// A new build's worker drops the caches of the builds before it.
self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('desk-shell-') && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  // The API (another path or origin), the deploy-time config and the worker itself: the network only.
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  if (url.pathname === `${scope.pathname}config.json` || url.pathname === `${scope.pathname}sw.js`) return;
  if (request.mode === 'navigate') {
    // The page from the network while there is one (a new build shows at once), else this build's.
    event.respondWith(
      fetch(request).catch(async () => (await caches.match(at('index.html'), { cacheName: CACHE })) ?? Response.error()),
    );
    return;
  }
  event.respondWith(
    (async () => (await caches.match(request, { cacheName: CACHE })) ?? fetch(request))(),
  );
});
