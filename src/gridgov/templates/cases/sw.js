{% load static %}/* The offline service worker of the report and patrol pages and of the case pages a grid
 * worker opened (served at {% url 'report:sw' %}).
 * Static files: cache first (their names carry a content hash in production). The pages: network
 * first, the last good copy when there is no connection; a case page served from that copy is
 * marked (data-page-copy="phone") so the page says it may be out of date. The case pages kept
 * are the last MAX_CASE_PAGES a grid worker opened (the server marks the pages that may be kept),
 * and are dropped when someone signs in or out (the next person on a shared phone does not read
 * them; the copies are therefore matched by address alone, ignoring Vary). Nothing else is
 * touched. */
"use strict";
const CACHE = "gridgov-offline-v1";
const CASE_CACHE = "gridgov-case-pages-v1";
const MAX_CASE_PAGES = 50;
const PAGES = ["{% url 'report:new' %}", "{% url 'cases:patrol' %}"];
const CASE_PREFIX = "{% url 'cases:detail' '0' %}".slice(0, -2); // a case page: CASE_PREFIX + number + "/"
const CASE_NUMBER = /^[0-9]{6,20}\/$/;
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
      .then((names) => Promise.all(names.filter((name) => name !== CACHE && name !== CASE_CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

function isCasePage(pathname) {
  return pathname.startsWith(CASE_PREFIX) && CASE_NUMBER.test(pathname.slice(CASE_PREFIX.length));
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
  if (response.ok && !response.redirected && response.headers.get("X-Gridgov-Offline-Copy") === "keep") {
    const copy = response.clone();
    caches.open(CASE_CACHE)
      .then((cache) => cache.put(request, copy)
        .then(() => cache.keys())
        // put() moves a page to the end of the keys: the oldest opened are first.
        .then((keys) => Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_CASE_PAGES)).map((key) => cache.delete(key)))));
  }
  return response;
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
    event.waitUntil(caches.delete(CASE_CACHE)); // the request itself goes on untouched
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
        .then((response) => keepCasePage(request, response))
        .catch((error) => caches.open(CASE_CACHE).then((cache) => cache.match(request, { ignoreVary: true })).then(markedCopy)
          .then((copy) => copy || Promise.reject(error))),
    );
  }
});
