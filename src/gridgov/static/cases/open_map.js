/* Map of the open cases in the user's scope, coloured by the SLA clock; fed by the JSON API. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("case-map-config").textContent);
  const map = L.map("case-map", { attributionControl: Boolean(config.tileUrl), zoomSnap: 0.25 });
  if (config.tileUrl) L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  map.setView([39.9, 116.4], 11);
  const counter = document.getElementById("case-count");
  const COLOURS = { overdue: "#c92a2a", due_soon: "#f08c00", on_time: "#1d5fa8" };

  function clock(properties) {
    if (properties.overdue) return "overdue";
    if (properties.due_soon) return "due_soon";
    return "on_time";
  }

  function popup(properties) {
    const box = document.createElement("div");
    box.className = "grid-popup";
    const title = document.createElement("strong");
    title.textContent = properties.number;
    const category = document.createElement("span");
    category.textContent = `${properties.category} · ${properties.state_label}`;
    const status = document.createElement("span");
    status.textContent = { overdue: config.text.overdue, due_soon: config.text.dueSoon, on_time: config.text.onTime }[clock(properties)];
    const link = document.createElement("a");
    link.className = "button primary case-link";
    link.href = properties.url;
    link.textContent = config.text.open;
    box.append(title, category, status, link);
    return box;
  }

  fetch(config.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.status))))
    .then((collection) => {
      const layer = L.geoJSON(collection, {
        pointToLayer: (feature, latlng) =>
          L.circleMarker(latlng, { radius: 7, color: "#fff", weight: 1.5, fillColor: COLOURS[clock(feature.properties)], fillOpacity: 0.9, className: `case-marker clock-${clock(feature.properties)}` }),
        onEachFeature: (feature, marker) => {
          marker.bindPopup(() => popup(feature.properties));
          marker.on("add", () => marker.getElement() && (marker.getElement().dataset.number = feature.properties.number));
        },
      }).addTo(map);
      counter.textContent = collection.features.length ? `(${collection.features.length})` : config.text.empty;
      if (collection.features.length) map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 16 });
    })
    .catch((error) => {
      console.error(error);
      counter.textContent = config.text.loadFailed;
    });
})();
