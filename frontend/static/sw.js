// Youguanjia's service worker: keeps the app shell (index.html and the hashed assets) so the
// phone pages open without a network. API responses are never cached: the app keeps what it
// needs offline itself (the day's route, the outbox of check-ins).
//
// scripts/build-frontend.sh fills in the version (the hash of index.html, so every build
// installs afresh and drops the old cache) and the files of the shell.
const VERSION = '__SW_VERSION__';
const SHELL = [__SW_SHELL__];
const CACHE = `ygj-shell-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('ygj-shell-') && k !== CACHE).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

// Content-hashed file names (`app-1a2b3c4d….js`) never change content, so they may be kept.
function isHashed(pathname) {
  return /-[0-9a-f]{8,}[^/]*$/.test(pathname);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/docs') || url.pathname === '/readyz') return;

  if (request.mode === 'navigate') {
    // Pages: the network first (a new build shows at once), the kept shell when there is none.
    event.respondWith(
      fetch(request).catch(() => caches.open(CACHE).then((cache) => cache.match('/index.html'))
        .then((page) => page || Response.error())),
    );
    return;
  }
  if (!isHashed(url.pathname)) return;
  event.respondWith(
    caches.open(CACHE).then((cache) => cache.match(request).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    }))),
  );
});
