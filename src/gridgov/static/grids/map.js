/* The grid map: drill down district → street → community → grid over the JSON API.
 *
 * The unit being looked at lives in the URL hash (#210199001), so the back button and links
 * from other pages work. A grid code in the hash shows its community with that grid selected.
 * Every polygon is an SVG path with class "grid-poly" and a data-code attribute; the side list
 * holds the same units as links with data-code.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("map-config").textContent);
  const text = config.text;
  const GRID_CODE_LENGTH = 15;
  const PERMANENT_LABEL_LIMIT = 40;
  const PALETTE = ["#4e79a7", "#59a14f", "#f28e2b", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#e15759", "#bab0ac"];

  const elements = {
    breadcrumb: document.getElementById("breadcrumb"),
    title: document.getElementById("panel-title"),
    summary: document.getElementById("panel-summary"),
    link: document.getElementById("panel-link"),
    list: document.getElementById("child-list"),
    search: document.getElementById("region-search"),
    results: document.getElementById("search-results"),
  };

  const map = L.map("map", { zoomSnap: 0.25, attributionControl: Boolean(config.tileUrl) });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  map.setView([35, 105], 4);

  const outlineLayer = L.geoJSON(null, {
    interactive: false,
    style: { className: "unit-outline", color: "#1f2933", weight: 2.5, dashArray: "6 4", fill: false },
  }).addTo(map);
  const labelLayer = L.layerGroup().addTo(map);
  const childLayer = L.geoJSON(null, { style: childStyle, onEachFeature: bindChild }).addTo(map);
  const layersByCode = new Map();
  let selectedCode = null;
  let loadCounter = 0;

  // ---- helpers -------------------------------------------------------------------------

  async function getJSON(path) {
    const response = await fetch(config.apiBase + path, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`${response.status} ${path}`);
    return response.json();
  }

  function detailUrl(code) {
    return config.detailUrl.replace(config.codePlaceholder, code);
  }

  function levelLabel(level) {
    return config.levels[level] || level;
  }

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "dataset") Object.assign(node.dataset, value);
      else if (name in node && name !== "list") node[name] = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function boundsOf(bboxes) {
    const present = bboxes.filter(Boolean);
    if (!present.length) return null;
    const west = Math.min(...present.map((b) => b[0]));
    const south = Math.min(...present.map((b) => b[1]));
    const east = Math.max(...present.map((b) => b[2]));
    const north = Math.max(...present.map((b) => b[3]));
    return L.latLngBounds([south, west], [north, east]);
  }

  function formatArea(km2) {
    return `${Number(km2).toLocaleString(undefined, { maximumFractionDigits: 3 })} ${text.km2}`;
  }

  // ---- polygons ------------------------------------------------------------------------

  function childStyle(feature) {
    const index = feature.properties._index || 0;
    return {
      className: `grid-poly level-${feature.properties.level}`,
      color: "#ffffff",
      weight: 1.5,
      fillColor: PALETTE[index % PALETTE.length],
      fillOpacity: 0.45,
    };
  }

  function bindChild(feature, layer) {
    const { code, name, level } = feature.properties;
    layersByCode.set(code, layer);
    layer.on("add", () => {
      const path = layer.getElement();
      if (path) {
        path.dataset.code = code;
        path.dataset.level = level;
        path.setAttribute("aria-label", `${name} ${code}`);
      }
    });
    layer.on("mouseover", () => highlight(code, true));
    layer.on("mouseout", () => highlight(code, false));
    layer.on("click", (event) => {
      L.DomEvent.stopPropagation(event);
      if (level === "grid") selectGrid(code);
      else go(code);
    });
    if (!("ontouchstart" in window)) {
      layer.bindTooltip(`${name} · ${code}`, { sticky: true, className: "hover-label" });
    }
  }

  function highlight(code, on) {
    const layer = layersByCode.get(code);
    if (layer && code !== selectedCode) {
      layer.setStyle({ weight: on ? 3 : 1.5, fillOpacity: on ? 0.65 : 0.45, color: on ? "#1f2933" : "#ffffff" });
    }
    const item = elements.list.querySelector(`[data-code="${code}"]`);
    if (item) item.classList.toggle("hover", on);
  }

  function selectGrid(code) {
    const layer = layersByCode.get(code);
    if (!layer) return;
    if (selectedCode && layersByCode.has(selectedCode)) {
      const previous = selectedCode;
      selectedCode = null;
      highlight(previous, false);
    }
    selectedCode = code;
    layer.closeTooltip();
    layer.setStyle({ weight: 4, color: "#d9480f", fillOpacity: 0.7 });
    layer.bringToFront();
    const { name, area_km2: area } = layer.feature.properties;
    const popup = element(
      "div",
      { className: "grid-popup" },
      element("strong", {}, name),
      element("div", { className: "code" }, code),
      element("div", {}, text.areaIs.replace("%(area)s", formatArea(area))),
      element("a", { href: detailUrl(code), className: "button primary grid-detail-link", dataset: { code } }, text.openDetail),
    );
    layer.bindPopup(popup, { minWidth: 180 }).openPopup();
    if (location.hash.slice(1) !== code) history.replaceState(null, "", `#${code}`);
  }

  // Each label with the bounding box of its unit, largest unit first: when labels collide the
  // larger unit keeps its name, and a name wider than its own unit on screen is not shown.
  let placedLabels = [];

  function drawLabels(children) {
    labelLayer.clearLayers();
    placedLabels = [];
    const permanent = children.length <= PERMANENT_LABEL_LIMIT;
    if (!permanent) return;
    for (const child of children) {
      if (!child.label) continue;
      const tooltip = L.tooltip({ permanent: true, direction: "center", className: "region-label", interactive: false })
        .setLatLng([child.label[1], child.label[0]])
        .setContent(child.name)
        .addTo(labelLayer);
      const [west, south, east, north] = child.bbox || [0, 0, 0, 0];
      placedLabels.push({ tooltip, bbox: child.bbox, size: Math.abs((east - west) * (north - south)) });
    }
    placedLabels.sort((a, b) => b.size - a.size);
    declutterLabels();
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function declutterLabels() {
    const shown = [];
    for (const { tooltip, bbox } of placedLabels) {
      const node = tooltip.getElement();
      if (!node) continue;
      node.classList.remove("label-crowded");
      const box = node.getBoundingClientRect();
      let fits = true;
      if (bbox) {
        const unitWidth = Math.abs(map.latLngToContainerPoint([bbox[1], bbox[2]]).x - map.latLngToContainerPoint([bbox[1], bbox[0]]).x);
        fits = box.width <= unitWidth;
      }
      if (!fits || shown.some((other) => overlaps(box, other))) node.classList.add("label-crowded");
      else shown.push(box);
    }
  }

  // Labels crowd each other when zoomed out past the view that fits the unit.
  let labelZoom = 0;
  map.on("zoomend", () => {
    map.getContainer().classList.toggle("labels-hidden", map.getZoom() < labelZoom - 0.5);
  });
  // moveend follows every zoom and every fitBounds, also one that keeps the zoom.
  map.on("moveend", declutterLabels);

  // ---- the panel -------------------------------------------------------------------------

  function renderBreadcrumb(trail) {
    const parts = [element("a", { href: "#", dataset: { code: "" } }, text.all)];
    for (const unit of trail) {
      parts.push(element("span", { className: "sep", "aria-hidden": "true" }, "›"));
      parts.push(element("a", { href: `#${unit.code}`, dataset: { code: unit.code } }, unit.name));
    }
    parts[parts.length - 1].setAttribute("aria-current", "page");
    elements.breadcrumb.replaceChildren(...parts);
  }

  function renderPanel(unit, children, totals) {
    elements.title.textContent = unit ? `${unit.name}` : text.all;
    const summary = [];
    if (unit) summary.push(`${levelLabel(unit.level)} ${unit.code}`, formatArea(unit.area_km2));
    if (totals) summary.push((totals.grids === 1 ? text.gridCount.one : text.gridCount.other).replace("%(count)s", totals.grids));
    elements.summary.textContent = summary.join(" · ");
    elements.link.replaceChildren(
      unit ? element("a", { href: detailUrl(unit.code), className: "unit-detail-link" }, text.openUnit) : "",
    );
    if (!children.length) {
      elements.list.replaceChildren(element("li", { className: "muted" }, text.empty));
      return;
    }
    elements.list.replaceChildren(
      ...children.map((child, index) => {
        const isGrid = child.level === "grid";
        const link = element(
          "a",
          {
            href: isGrid ? detailUrl(child.code) : `#${child.code}`,
            className: `child-link level-${child.level}`,
            dataset: { code: child.code },
          },
          element("span", { className: "swatch", style: `background:${PALETTE[index % PALETTE.length]}` }),
          element("span", { className: "child-name" }, child.name),
          element("span", { className: "child-code" }, child.code),
        );
        link.addEventListener("mouseenter", () => highlight(child.code, true));
        link.addEventListener("mouseleave", () => highlight(child.code, false));
        link.addEventListener("focus", () => highlight(child.code, true));
        link.addEventListener("blur", () => highlight(child.code, false));
        return element("li", {}, link);
      }),
    );
  }

  function showError() {
    elements.list.replaceChildren(element("li", { className: "form-error" }, text.loadFailed));
  }

  // ---- loading a view --------------------------------------------------------------------

  async function loadTop() {
    const tops = await getJSON("regions");
    if (tops.length === 1) return loadUnit(tops[0].code);
    const collection = { type: "FeatureCollection", features: [] };
    const outlines = await Promise.all(tops.map((top) => getJSON(`regions/${top.code}/boundary.geojson`)));
    for (const outline of outlines) collection.features.push(...outline.features);
    return { unit: null, trail: [], children: tops, features: collection, outline: null, totals: null };
  }

  async function loadUnit(code) {
    const [unit, features, outline] = await Promise.all([
      getJSON(`regions/${code}`),
      getJSON(`regions/${code}/children.geojson`),
      getJSON(`regions/${code}/boundary.geojson`),
    ]);
    return { unit, trail: [...unit.ancestors, unit], children: unit.children, features, outline, totals: unit.totals };
  }

  async function show(code) {
    const viewCode = code && code.length === GRID_CODE_LENGTH ? code.slice(0, 12) : code;
    const token = ++loadCounter;
    document.body.classList.add("busy");
    let view;
    try {
      view = viewCode ? await loadUnit(viewCode) : await loadTop();
    } catch (error) {
      console.error(error);
      if (token === loadCounter) showError();
      return;
    } finally {
      if (token === loadCounter) document.body.classList.remove("busy");
    }
    if (token !== loadCounter) return; // a later click won

    map.closePopup();
    layersByCode.clear();
    selectedCode = null;
    outlineLayer.clearLayers();
    childLayer.clearLayers();
    if (view.outline) outlineLayer.addData(view.outline);
    const order = new Map(view.children.map((child, index) => [child.code, index]));
    for (const feature of view.features.features) feature.properties._index = order.get(feature.properties.code) || 0;
    childLayer.addData(view.features);
    drawLabels(view.children);
    renderBreadcrumb(view.trail);
    renderPanel(view.unit, view.children, view.totals);

    const bounds = boundsOf(view.unit ? [view.unit.bbox] : view.children.map((child) => child.bbox));
    if (bounds) {
      map.fitBounds(bounds, { padding: [16, 16] });
      labelZoom = map.getBoundsZoom(bounds);
    }
    if (code && code !== viewCode) selectGrid(code);
  }

  function go(code) {
    const target = `#${code || ""}`;
    if (location.hash === target || (!code && !location.hash)) show(code || null);
    else location.hash = target;
  }

  window.addEventListener("hashchange", () => show(location.hash.slice(1) || null));
  elements.breadcrumb.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-code]");
    if (!link) return;
    event.preventDefault();
    if (link.dataset.code) go(link.dataset.code);
    else {
      history.pushState(null, "", location.pathname);
      show(null);
    }
  });

  // ---- search ----------------------------------------------------------------------------

  let searchTimer = null;
  let searchCounter = 0;

  function hideResults() {
    elements.results.hidden = true;
    elements.results.replaceChildren();
  }

  async function runSearch(query) {
    const token = ++searchCounter;
    if (!query) return hideResults();
    let found;
    try {
      found = await getJSON(`search?q=${encodeURIComponent(query)}&limit=12`);
    } catch (error) {
      console.error(error);
      return;
    }
    if (token !== searchCounter) return;
    if (!found.length) {
      elements.results.replaceChildren(element("li", { className: "muted" }, text.noResults));
    } else {
      elements.results.replaceChildren(
        ...found.map((unit) =>
          element(
            "li",
            { role: "option" },
            element(
              "button",
              { type: "button", className: "search-hit", dataset: { code: unit.code } },
              element("span", { className: "child-name" }, unit.name),
              element("span", { className: "child-code" }, `${levelLabel(unit.level)} ${unit.code}`),
            ),
          ),
        ),
      );
    }
    elements.results.hidden = false;
  }

  elements.search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(elements.search.value.trim()), 200);
  });
  elements.search.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hideResults();
    if (event.key === "Enter") {
      event.preventDefault();
      const first = elements.results.querySelector(".search-hit");
      if (first) first.click();
    }
  });
  elements.results.addEventListener("click", (event) => {
    const hit = event.target.closest(".search-hit");
    if (!hit) return;
    hideResults();
    elements.search.value = "";
    go(hit.dataset.code);
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".search")) hideResults();
  });

  // Without a unit in the URL, open where the user works (their data scope).
  show(location.hash.slice(1) || config.homeCode || null);
})();
