{% load static %}/* The offline service worker of the report and patrol pages (served at {% url 'report:sw' %}).
 * Static files: cache first (their names carry a content hash in production). The two pages:
 * network first, the last good copy when there is no connection. Nothing else is touched. */
"use strict";
const CACHE = "gridgov-offline-v1";
const PAGES = ["{% url 'report:new' %}", "{% url 'cases:patrol' %}"];
const FILES = [
  "{% static 'vendor/leaflet-1.9.4/leaflet.css' %}", "{% static 'vendor/leaflet-1.9.4/leaflet.js' %}",
  "{% static 'cases/cases.css' %}", "{% static 'cases/resident.css' %}", "{% static 'cases/report.js' %}",
  "{% static 'cases/offline.js' %}", "{% static 'gridgov/site.css' %}",
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
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

function keep(request, response) {
  if (response.ok && !response.redirected) {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("{% get_static_prefix %}")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => keep(request, response))));
  } else if (request.mode === "navigate" && PAGES.includes(url.pathname)) {
    event.respondWith(fetch(request).then((response) => keep(request, response)).catch(() => caches.match(request)));
  }
});
