/* The case page's small map: the grid's outline and the reported point. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("point-map-data").textContent);
  const map = L.map("point-map", { attributionControl: Boolean(data.tileUrl), scrollWheelZoom: false, zoomSnap: 0.25 });
  if (data.tileUrl) L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
  const point = L.latLng(data.lat, data.lng);
  if (data.boundary) {
    const outline = L.geoJSON(data.boundary, {
      interactive: false,
      style: { className: "unit-outline", color: "#d9480f", weight: 2, fillColor: "#f28e2b", fillOpacity: 0.1 },
    }).addTo(map);
    map.fitBounds(outline.getBounds(), { padding: [12, 12] });
  } else {
    map.setView(point, 16);
  }
  L.circleMarker(point, { radius: 8, color: "#b42318", weight: 3, fillOpacity: 0.7, className: "case-point" }).addTo(map);
})();
