{% load static %}/* The offline service worker of the report and patrol pages and of the case pages a grid
 * worker opened (served at {% url 'report:sw' %}).
 * Static files: cache first (their names carry a content hash in production). The pages: network
 * first, the last good copy when there is no connection; a case page served from that copy is
 * marked (data-page-copy="phone") so the page says it may be out of date. The case pages kept
 * are the last MAX_CASE_PAGES a grid worker opened (the server marks the pages that may be kept),
 * and are dropped when someone signs in or out (the next person on a shared phone does not read
 * them; the copies are therefore matched by address alone, ignoring Vary). A kept page's photo
 * thumbnails (the staff-only photo addresses its HTML shows, at most MAX_THUMBNAILS_PER_PAGE) are
 * kept beside it in a cache of that page's own, refreshed with the page and dropped with it, so
 * the copy opened offline shows its photos; a thumbnail not kept shows a drawn "not on this phone"
 * placeholder rather than a broken image. Nothing else is touched. */
"use strict";
const CACHE = "gridgov-offline-v1";
const CASE_CACHE = "gridgov-case-pages-v1";
const MAX_CASE_PAGES = 50;
// Photo thumbnails (JPEG, 320 px, some 15-30 kB) kept per case page: three before, three after and
// those of two more steps; at most 50 × 12 of them, about 15 MB, on the phone.
const PHOTO_CACHE_PREFIX = "gridgov-case-photos-v1 "; // + the case page's path: one cache per kept page
const MAX_THUMBNAILS_PER_PAGE = 12;
const PAGES = ["{% url 'report:new' %}", "{% url 'cases:patrol' %}"];
const CASE_PREFIX = "{% url 'cases:detail' '0' %}".slice(0, -2); // a case page: CASE_PREFIX + number + "/"
const CASE_NUMBER = /^[0-9]{6,20}\/$/;
const THUMBNAIL_PREFIX = "{% url 'cases:photo' 0 'thumb' %}".slice(0, -"0/thumb/".length); // + id + "/thumb/"
const THUMBNAIL_ID = /^[0-9]{1,18}\/thumb\/$/;
const NOT_KEPT_TEXT = "{{ not_kept_text|escapejs }}";
const SIGN_IN_OUT = ["{% url 'login' %}", "{% url 'logout' %}"];
const FILES = [
  "{% static 'vendor/leaflet-1.9.4/leaflet.css' %}", "{% static 'vendor/leaflet-1.9.4/leaflet.js' %}",
  "{% static 'cases/cases.css' %}", "{% static 'cases/resident.css' %}", "{% static 'cases/report.js' %}",
  "{% static 'cases/offline.js' %}", "{% static 'cases/point_map.js' %}", "{% static 'gridgov/site.css' %}",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => Promise.all(FILES.map((url) => cache.add(url).catch(() => null))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE && name !== CASE_CACHE && !name.startsWith(PHOTO_CACHE_PREFIX))
        .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

function isCasePage(pathname) {
  return pathname.startsWith(CASE_PREFIX) && CASE_NUMBER.test(pathname.slice(CASE_PREFIX.length));
}

function isThumbnail(pathname) {
  return pathname.startsWith(THUMBNAIL_PREFIX) && THUMBNAIL_ID.test(pathname.slice(THUMBNAIL_PREFIX.length));
}

function photoCacheOf(pageUrl) {
  return PHOTO_CACHE_PREFIX + new URL(pageUrl, self.location.origin).pathname;
}

function forgetCasePages() {
  return caches.keys().then((names) => Promise.all(
    names.filter((name) => name === CASE_CACHE || name.startsWith(PHOTO_CACHE_PREFIX)).map((name) => caches.delete(name)),
  ));
}

function thumbnailsOf(html, pageUrl) {
  // The page's own thumbnails, in page order (the photo rows come before the timeline), once each.
  const found = [];
  for (const match of html.matchAll(/<img\b[^>]*\ssrc="([^"]+)"/g)) {
    const url = new URL(match[1].replace(/&amp;/g, "&"), pageUrl);
    if (url.origin === self.location.origin && !url.search && isThumbnail(url.pathname) && !found.includes(url.pathname)) {
      found.push(url.pathname);
    }
  }
  return found.slice(0, MAX_THUMBNAILS_PER_PAGE);
}

function keepThumbnails(pageUrl, html) {
  // The thumbnails the page shows now: those it no longer shows go, those not yet kept are fetched
  // (a photo's thumbnail never changes once made, so one kept is not fetched again).
  const wanted = thumbnailsOf(html, pageUrl);
  return caches.open(photoCacheOf(pageUrl)).then((cache) => cache.keys().then((keys) => {
    const kept = keys.map((key) => new URL(key.url).pathname);
    const gone = keys.filter((key) => !wanted.includes(new URL(key.url).pathname)).map((key) => cache.delete(key));
    const fetched = wanted.filter((path) => !kept.includes(path)).map((path) => {
      const request = new Request(path, { credentials: "same-origin" });
      return fetch(request).then((response) => {
        const type = response.headers.get("Content-Type") || "";
        if (response.ok && !response.redirected && type.startsWith("image/")) return cache.put(request, response);
        return null;
      }).catch(() => null);
    });
    return Promise.all([...gone, ...fetched]);
  }));
}

function notKeptPicture() {
  // Drawn in place of a thumbnail the phone has not kept, at a thumbnail's 4:3, instead of a broken image.
  const text = NOT_KEPT_TEXT.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120">'
    + '<rect width="160" height="120" fill="#eef1f4"/>'
    + `<text x="80" y="64" font-size="12" text-anchor="middle" fill="#4a5560" font-family="sans-serif">${text}</text></svg>`;
  return new Response(svg, { headers: { "Content-Type": "image/svg+xml", "Cache-Control": "no-store" } });
}

function keep(request, response) {
  if (response.ok && !response.redirected) {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}

function keepCasePage(request, response) {
  // Only the pages the server allows to be kept (the grid staff's: cases/views.py OFFLINE_COPY_HEADER).
  // Returns the keeping's promise, for waitUntil: the page itself is answered without waiting for it.
  if (response.ok && !response.redirected && response.headers.get("X-Gridgov-Offline-Copy") === "keep") {
    const copy = response.clone();
    const html = response.clone().text();
    return caches.open(CASE_CACHE)
      .then((cache) => cache.put(request, copy)
        .then(() => cache.keys())
        // put() moves a page to the end of the keys: the oldest opened are first. Their photos go with them.
        .then((keys) => Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_CASE_PAGES))
          .map((key) => Promise.all([cache.delete(key), caches.delete(photoCacheOf(key.url))])))))
      .then(() => html)
      .then((text) => keepThumbnails(request.url, text))
      .catch(() => null);
  }
  return Promise.resolve(null);
}

function markedCopy(cached) {
  if (!cached) return cached;
  const headers = new Headers(cached.headers);
  headers.delete("Content-Length"); // the body is rewritten
  return cached.text().then((html) => new Response(
    html.replace('data-page-copy="network"', 'data-page-copy="phone"'),
    { status: cached.status, statusText: cached.statusText, headers },
  ));
}

self.addEventListener("message", (event) => {
  // A page the service worker did not serve yet (its first visit) asks to be kept.
  const url = new URL((event.data && event.data.keep) || "/", self.location.origin);
  if (url.origin !== self.location.origin) return;
  const request = new Request(url.pathname, { credentials: "same-origin" });
  if (isCasePage(url.pathname)) {
    event.waitUntil(fetch(request).then((response) => keepCasePage(request, response)).catch(() => null));
  } else if (PAGES.includes(url.pathname)) {
    event.waitUntil(fetch(request).then((response) => keep(request, response)).catch(() => null));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && SIGN_IN_OUT.includes(url.pathname)) {
    event.waitUntil(forgetCasePages()); // the request itself goes on untouched
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.startsWith("{% get_static_prefix %}")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => keep(request, response))));
  } else if (request.mode === "navigate" && PAGES.includes(url.pathname)) {
    event.respondWith(fetch(request).then((response) => keep(request, response)).catch(() => caches.match(request)));
  } else if (request.mode === "navigate" && isCasePage(url.pathname) && !url.search) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          event.waitUntil(keepCasePage(request, response)); // the page is answered meanwhile
          return response;
        })
        .catch((error) => caches.open(CASE_CACHE).then((cache) => cache.match(request, { ignoreVary: true })).then(markedCopy)
          .then((copy) => copy || Promise.reject(error))),
    );
  } else if (isThumbnail(url.pathname) && !url.search) {
    event.respondWith(
      fetch(request).catch(() => caches.match(request, { ignoreVary: true }).then((hit) => hit || notKeptPicture())),
    );
  }
});
