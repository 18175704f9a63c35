/* The small map on a unit's page: its boundary, and for streets and communities the units
 * below it, each linking to its own page. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("unit-map-data").textContent);
  const container = document.getElementById("unit-map");
  if (!data.boundary) {
    container.hidden = true;
    return;
  }

  const map = L.map(container, { attributionControl: Boolean(data.tileUrl), scrollWheelZoom: false, zoomSnap: 0.25 });
  if (data.tileUrl) L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 18 }).addTo(map);

  const outline = L.geoJSON(JSON.parse(data.boundary), {
    interactive: false,
    style: { className: "unit-outline", color: "#d9480f", weight: 3, fillColor: "#f28e2b", fillOpacity: data.childrenUrl ? 0.05 : 0.3 },
  }).addTo(map);
  map.fitBounds(outline.getBounds(), { padding: [12, 12] });

  if (!data.childrenUrl) return;
  fetch(data.childrenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.status))))
    .then((collection) => {
      L.geoJSON(collection, {
        style: (feature) => ({ className: `grid-poly level-${feature.properties.level}`, color: "#4e79a7", weight: 1.5, fillOpacity: 0.15 }),
        onEachFeature: (feature, layer) => {
          const { code, name } = feature.properties;
          layer.bindTooltip(`${name} · ${code}`, { sticky: true, className: "hover-label" });
          layer.on("add", () => layer.getElement() && (layer.getElement().dataset.code = code));
          layer.on("click", () => {
            window.location.href = data.detailUrl.replace(data.codePlaceholder, code);
          });
        },
      }).addTo(map);
    })
    .catch((error) => console.error(error));
})();
