/* The intake form's map: tap to drop the pin (fills lat/lng), and once pin and category are
 * set, ask the server for similar open reports nearby.
 *
 * The form works before (and without) the map: the point can come from "use my location", and
 * the similar reports and "me too" need only the point. Leaflet (about half of the page's bytes
 * on a phone) is loaded once the form is usable and the map is in view; the outlines
 * (communities, or a grid worker's own unit) come from a cacheable GeoJSON endpoint, fetched
 * beside it, and are drawn a few at a time so that typing is never held up for long. The pin
 * works without them. Sentences with values in them come from the template as whole translated
 * strings with named {placeholders}, so that each language keeps its own word order. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("report-map-data").textContent);
  const latInput = document.getElementById("id_lat");
  const lngInput = document.getElementById("id_lng");
  const category = document.getElementById("id_category");
  const status = document.getElementById("pin-status");
  const similarBox = document.getElementById("similar");
  const similarList = document.getElementById("similar-list");
  const mapBox = document.getElementById("report-map");
  const mapNote = mapBox.querySelector(".map-note");
  const OUTLINES_PER_TASK = 10; // drawn per task: well under 50 ms on a slow phone

  /* "Pin set at {lat}, {lng}" + {lat: 1, lng: 2}; one pass, so values are never re-expanded. */
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (match, key) => (Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match));
  }

  let map = null;
  let pin = null;
  let outlines = null;

  /* The point, kept in the form's hidden fields: from a tap on the map or the phone's position. */
  function setPoint(lat, lng) {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    status.textContent = fill(status.dataset.set, { lat: latInput.value, lng: lngInput.value });
    showPin();
    lookForSimilar();
  }

  function hasPoint() {
    return Boolean(latInput.value && lngInput.value);
  }

  function showPin() {
    if (!map || !hasPoint()) return;
    const at = L.latLng(Number(latInput.value), Number(lngInput.value));
    if (pin) {
      pin.setLatLng(at);
    } else {
      pin = L.circleMarker(at, { radius: 9, color: "#b42318", weight: 3, fillOpacity: 0.6, className: "report-pin" }).addTo(map);
      pin.bindTooltip(data.text.pinHere);
    }
  }

  /* "Use my location": the phone's position becomes the pin (the resident can still move it). */
  const locate = document.getElementById("locate-me");
  if (locate && !("geolocation" in navigator)) locate.hidden = true; // shown by the page: no shift on phones that have it
  if (locate && "geolocation" in navigator) {
    locate.addEventListener("click", () => {
      status.textContent = data.text.locating;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          setPoint(position.coords.latitude, position.coords.longitude);
          if (map) map.setView(pin.getLatLng(), Math.max(map.getZoom(), 16));
        },
        () => { status.textContent = data.text.locateFailed; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  }

  /* --- the map, once the form is usable ------------------------------------------------------- */

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(script);
    });
  }

  function loadStyle(href) {
    return new Promise((resolve, reject) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      link.onload = resolve;
      link.onerror = () => reject(new Error(`could not load ${href}`));
      document.head.append(link);
    });
  }

  function fetchOutlines() {
    return fetch(data.outlinesUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`${response.status} ${data.outlinesUrl}`))));
  }

  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

  function drawMap() {
    if (mapNote) mapNote.remove();
    map = L.map(mapBox, { attributionControl: Boolean(data.tileUrl), zoomSnap: 0.25 });
    if (data.tileUrl) L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
    if (data.bounds) {
      const [west, south, east, north] = data.bounds;
      map.fitBounds([[south, west], [north, east]], { padding: [8, 8] });
    } else {
      map.setView([39.9, 116.4], 12);
    }
    outlines = L.geoJSON(null, {
      style: { className: "grid-poly", color: "#4e79a7", weight: 1.5, fillOpacity: 0.08 },
      onEachFeature: (feature, layer) => {
        layer.bindTooltip(feature.properties.name, { sticky: true, className: "hover-label" });
        layer.on("add", () => layer.getElement() && (layer.getElement().dataset.code = feature.properties.code));
      },
    }).addTo(map);
    map.on("click", (event) => setPoint(event.latlng.lat, event.latlng.lng));
    if (hasPoint()) {
      showPin();
      map.setView(pin.getLatLng(), Math.max(map.getZoom(), 15));
    }
    mapBox.dataset.map = "ready";
  }

  async function drawOutlines(collection) {
    const features = collection.features || [];
    for (let start = 0; start < features.length; start += OUTLINES_PER_TASK) {
      await nextTask(); // the map first, then a few outlines at a time
      outlines.addData({ type: "FeatureCollection", features: features.slice(start, start + OUTLINES_PER_TASK) });
    }
    if (pin) pin.bringToFront();
    else if (outlines.getLayers().length) map.fitBounds(outlines.getBounds(), { padding: [8, 8] });
    mapBox.dataset.outlines = "drawn";
    performance.mark("gridgov:map-drawn"); // read by `gridgov bench pages`
  }

  let mapStarted = false;
  function startMap() {
    if (mapStarted) return;
    mapStarted = true;
    const collection = fetchOutlines(); // downloads beside Leaflet
    const leaflet = window.L ? Promise.resolve() : Promise.all([loadStyle(data.leaflet.css), loadScript(data.leaflet.js)]);
    leaflet
      .then(() => {
        drawMap();
        return collection.then(drawOutlines, (error) => {
          console.error(error); // the map and the pin work without them
          performance.mark("gridgov:map-drawn");
        });
      })
      .catch((error) => {
        console.error(error);
        mapBox.dataset.map = "failed";
        if (mapNote) mapNote.textContent = data.text.mapFailed;
      });
  }

  /* Once the form works (its handlers set, the page's scripts run: DOMContentLoaded), as soon as
   * the map is (nearly) in view: at once on a page that opens with it in view, else when it is
   * scrolled to. (The page's head preloads Leaflet and the outlines at low priority.) */
  function whenMapInView() {
    const margin = 200;
    if (!("IntersectionObserver" in window) || mapBox.getBoundingClientRect().top < window.innerHeight + margin) {
      startMap();
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        observer.disconnect();
        startMap();
      }
    }, { rootMargin: `${margin}px 0px` });
    observer.observe(mapBox);
  }

  if (hasPoint()) setPoint(Number(latInput.value), Number(lngInput.value)); // the form came back with its point

  function lookForSimilar() {
    if (!category.value || !latInput.value) return;
    const query = new URLSearchParams({ category: category.value, lat: latInput.value, lng: lngInput.value });
    fetch(`${data.similarUrl}?${query}`, { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.status))))
      .then((body) => showSimilar(body.results))
      .catch((error) => console.error(error));
  }

  function showSimilar(results) {
    similarList.replaceChildren();
    similarBox.hidden = results.length === 0;
    document.getElementById("similar-title").textContent = data.text.similar;
    for (const item of results) {
      const li = document.createElement("li");
      li.dataset.number = item.number;
      li.textContent = fill(similarList.dataset.item, {
        number: item.number,
        state: item.state_label,
        distance: item.distance_m,
        description: item.description,
      });
      li.className = "similar-item";
      const text = document.createElement("span");
      text.textContent = li.textContent;
      li.replaceChildren(text);
      if (data.meTooUrl) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button";
        button.dataset.testid = "me-too";
        button.textContent = data.text.meToo;
        button.addEventListener("click", () => meToo(item.number, li));
        li.append(button);
      }
      similarList.append(li);
    }
  }
  category.addEventListener("change", lookForSimilar);

  /* 我也遇到: follow that report (with the phone typed below) instead of filing a duplicate. */
  function meToo(number, li) {
    const phone = document.getElementById("id_reporter_phone");
    let note = li.querySelector(".me-too-status");
    if (!note) {
      note = document.createElement("p");
      note.className = "me-too-status";
      note.setAttribute("role", "status");
      li.append(note);
    }
    if (!phone || !phone.value.trim()) {
      note.textContent = data.text.meTooNeedsPhone;
      if (phone) phone.focus();
      return;
    }
    const body = new FormData();
    body.append("number", number);
    body.append("phone", phone.value.trim());
    const token = document.querySelector("#report-form input[name=csrfmiddlewaretoken]");
    fetch(data.meTooUrl, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" } })
      .then((response) => response.json().then((answer) => ({ ok: response.ok, answer })))
      .then(({ ok, answer }) => {
        note.textContent = answer.detail;
        note.classList.toggle("form-error", !ok);
        li.dataset.followed = ok ? "true" : "false";
      })
      .catch(() => { note.textContent = data.text.meTooFailed; note.classList.add("form-error"); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", whenMapInView);
  else whenMapInView();
})();
