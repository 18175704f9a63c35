/* The intake form's map: tap to drop the pin (fills lat/lng), and once pin and category are
 * set, ask the server for similar open reports nearby.
 *
 * The outlines (communities, or a grid worker's own unit) come from a cacheable GeoJSON endpoint,
 * preloaded by the page's head so that they download beside the scripts; the pin works without
 * them. Sentences with values in them come from the template as whole translated strings with
 * named {placeholders}, so that each language keeps its own word order. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("report-map-data").textContent);
  const latInput = document.getElementById("id_lat");
  const lngInput = document.getElementById("id_lng");
  const category = document.getElementById("id_category");
  const status = document.getElementById("pin-status");
  const similarBox = document.getElementById("similar");
  const similarList = document.getElementById("similar-list");

  /* "Pin set at {lat}, {lng}" + {lat: 1, lng: 2}; one pass, so values are never re-expanded. */
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (match, key) => (Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match));
  }

  const map = L.map("report-map", { attributionControl: Boolean(data.tileUrl), zoomSnap: 0.25 });
  if (data.tileUrl) L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
  if (data.bounds) {
    const [west, south, east, north] = data.bounds;
    map.fitBounds([[south, west], [north, east]], { padding: [8, 8] });
  } else {
    map.setView([39.9, 116.4], 12);
  }

  const outlines = L.geoJSON(null, {
    style: { className: "grid-poly", color: "#4e79a7", weight: 1.5, fillOpacity: 0.08 },
    onEachFeature: (feature, layer) => {
      layer.bindTooltip(feature.properties.name, { sticky: true, className: "hover-label" });
      layer.on("add", () => layer.getElement() && (layer.getElement().dataset.code = feature.properties.code));
    },
  }).addTo(map);
  let pin = null;

  fetch(data.outlinesUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`${response.status} ${data.outlinesUrl}`))))
    .then((collection) => {
      outlines.addData(collection);
      if (pin) pin.bringToFront();
      else if (outlines.getLayers().length) map.fitBounds(outlines.getBounds(), { padding: [8, 8] });
    })
    .catch((error) => console.error(error)); // the map and the pin work without the outlines

  function setPin(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lngInput.value = latlng.lng.toFixed(6);
    if (pin) pin.setLatLng(latlng);
    else pin = L.circleMarker(latlng, { radius: 9, color: "#b42318", weight: 3, fillOpacity: 0.6, className: "report-pin" }).addTo(map);
    pin.bindTooltip(data.text.pinHere);
    status.textContent = fill(status.dataset.set, { lat: latInput.value, lng: lngInput.value });
    lookForSimilar();
  }
  map.on("click", (event) => setPin(event.latlng));

  /* "Use my location": the phone's position becomes the pin (the resident can still move it). */
  const locate = document.getElementById("locate-me");
  if (locate && "geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", () => {
      status.textContent = data.text.locating;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          const here = L.latLng(position.coords.latitude, position.coords.longitude);
          setPin(here);
          map.setView(here, Math.max(map.getZoom(), 16));
        },
        () => { status.textContent = data.text.locateFailed; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  }
  if (latInput.value && lngInput.value) {
    setPin(L.latLng(Number(latInput.value), Number(lngInput.value)));
    map.setView(pin.getLatLng(), Math.max(map.getZoom(), 15));
  }

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
})();
