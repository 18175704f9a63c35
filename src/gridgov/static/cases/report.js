/* The intake form's map: tap to drop the pin (fills lat/lng), and once pin and category are
 * set, ask the server for similar open reports nearby. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("report-map-data").textContent);
  const latInput = document.getElementById("id_lat");
  const lngInput = document.getElementById("id_lng");
  const category = document.getElementById("id_category");
  const status = document.getElementById("pin-status");
  const similarBox = document.getElementById("similar");

  const map = L.map("report-map", { attributionControl: Boolean(data.tileUrl), zoomSnap: 0.25 });
  if (data.tileUrl) L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
  const outlines = L.geoJSON(
    { type: "FeatureCollection", features: data.outlines.map((o) => ({ type: "Feature", properties: o, geometry: o.geometry })) },
    {
      style: { className: "grid-poly", color: "#4e79a7", weight: 1.5, fillOpacity: 0.08 },
      onEachFeature: (feature, layer) => {
        layer.bindTooltip(feature.properties.name, { sticky: true, className: "hover-label" });
        layer.on("add", () => layer.getElement() && (layer.getElement().dataset.code = feature.properties.code));
      },
    },
  ).addTo(map);
  if (outlines.getLayers().length) map.fitBounds(outlines.getBounds(), { padding: [8, 8] });
  else map.setView([39.9, 116.4], 12);

  let pin = null;
  function setPin(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lngInput.value = latlng.lng.toFixed(6);
    if (pin) pin.setLatLng(latlng);
    else pin = L.circleMarker(latlng, { radius: 9, color: "#b42318", weight: 3, fillOpacity: 0.6, className: "report-pin" }).addTo(map);
    pin.bindTooltip(data.text.pinHere);
    status.textContent = `${status.dataset.set} ${latInput.value}, ${lngInput.value}`;
    lookForSimilar();
  }
  map.on("click", (event) => setPin(event.latlng));
  if (latInput.value && lngInput.value) setPin(L.latLng(Number(latInput.value), Number(lngInput.value)));

  function lookForSimilar() {
    if (!category.value || !latInput.value) return;
    const query = new URLSearchParams({ category: category.value, lat: latInput.value, lng: lngInput.value });
    fetch(`${data.similarUrl}?${query}`, { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.status))))
      .then((body) => showSimilar(body.results))
      .catch((error) => console.error(error));
  }

  function showSimilar(results) {
    const list = document.getElementById("similar-list");
    list.replaceChildren();
    similarBox.hidden = results.length === 0;
    document.getElementById("similar-title").textContent = data.text.similar;
    for (const item of results) {
      const li = document.createElement("li");
      li.dataset.number = item.number;
      li.textContent = `${item.number} · ${item.state_label} · ${item.distance_m} ${data.text.metres} — ${item.description}`;
      list.append(li);
    }
  }
  category.addEventListener("change", lookForSimilar);
})();
