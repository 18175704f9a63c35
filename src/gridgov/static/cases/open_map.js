/* Map of the open cases in the user's scope, coloured by the SLA clock, over the boundaries of the
 * scope's grids; the grids can be coloured by their open or overdue cases (the selector above the
 * map). Both layers come from the JSON API; the cases do not wait for the grids. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("case-map-config").textContent);
  const map = L.map("case-map", { attributionControl: Boolean(config.tileUrl), zoomSnap: 0.25 });
  if (config.tileUrl) L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  map.setView([39.9, 116.4], 11);
  const counter = document.getElementById("case-count");
  const COLOURS = { overdue: "#c92a2a", due_soon: "#f08c00", on_time: "#1d5fa8" };
  // Grid fill by count: 0, 1–2, 3–5, 6–10, 11 and more (the legend's swatch-0 … swatch-4).
  const STEPS = [1, 3, 6, 11];
  const FILLS = ["#f8f9fa", "#ffe8cc", "#ffc078", "#fd7e14", "#c92a2a"];
  const LABELS = ["0", "1–2", "3–5", "6–10", "11+"];
  const selector = document.getElementById("grid-colour");
  const legend = document.getElementById("grid-legend");
  map.createPane("grids").style.zIndex = 350; // under the case markers (overlayPane, 400)

  function band(count) {
    let index = 0;
    while (index < STEPS.length && count >= STEPS[index]) index += 1;
    return index;
  }

  function gridStyle(feature) {
    const measure = selector.value;
    if (!measure) return { pane: "grids", color: "#5c7080", weight: 1, fillOpacity: 0.02, fillColor: "#5c7080" };
    return { pane: "grids", color: "#5c7080", weight: 1, fillOpacity: 0.55, fillColor: FILLS[band(feature.properties[measure] || 0)] };
  }

  function drawLegend() {
    legend.replaceChildren();
    legend.hidden = !selector.value;
    LABELS.forEach((label, index) => {
      const swatch = document.createElement("span");
      swatch.className = `swatch swatch-${index}`;
      swatch.textContent = label;
      legend.append(swatch);
    });
  }

  const grids = L.geoJSON(null, {
    style: gridStyle,
    onEachFeature: (feature, layer) => {
      const p = feature.properties;
      const tip = document.createElement("span"); // text, never HTML: names come from the data
      tip.textContent = `${p.name} · ${config.text.gridFigures.replace("%(open)s", p.open).replace("%(overdue)s", p.overdue)}`;
      layer.bindTooltip(tip, { sticky: true });
      layer.on("add", () => {
        const element = layer.getElement();
        if (element) {
          element.classList.add("grid-outline");
          element.dataset.code = p.code;
          element.dataset.open = p.open;
          element.dataset.overdue = p.overdue;
        }
      });
    },
  }).addTo(map);
  let casesShown = false;

  selector.addEventListener("change", () => {
    grids.setStyle(gridStyle);
    drawLegend();
  });
  drawLegend();

  fetch(config.gridsUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`${response.status} ${config.gridsUrl}`))))
    .then((collection) => {
      grids.addData(collection);
      if (!casesShown && grids.getLayers().length) map.fitBounds(grids.getBounds(), { padding: [8, 8] });
    })
    .catch((error) => console.error(error)); // the cases show without the grids

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
      if (collection.features.length) {
        casesShown = true;
        map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 16 });
      }
    })
    .catch((error) => {
      console.error(error);
      counter.textContent = config.text.loadFailed;
    });
})();
