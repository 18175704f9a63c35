// The leader's dashboard and the big screen: ECharts for the trend and the category mix, a
// Leaflet map of the units coloured by an indicator with drill-down (street → community → grid).
// Data comes from json_script blocks rendered with the page, then from /api/v1/evaluation/
// (the big screen refreshes itself). No inline scripts: the page's CSP allows only static files.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dashboard-config").textContent);
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var text = config.text;
  var big = document.body.classList.contains("big-screen");
  var theme = big ? "dark" : null;
  var LOWER_IS_BETTER = { overdue: true, rework: true };
  var CHILD_LEVEL = { 6: "street", 9: "community", 12: "grid" };
  var state = { stack: [], layer: null, rows: {} };
  var charts = {};

  function chart(id) {
    var element = document.getElementById(id);
    if (!element || typeof echarts === "undefined") return null;
    return echarts.getInstanceByDom(element) || echarts.init(element, theme);
  }

  function drawTrend() {
    charts.trend = chart("chart-trend");
    if (!charts.trend) return;
    var t = data.trend;
    charts.trend.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "axis" },
      legend: { data: [text.reported, text.closed, text.onTimeHandling, text.closure] },
      grid: { left: 40, right: 40, bottom: 30, top: 40 },
      xAxis: { type: "category", data: t.months },
      yAxis: [{ type: "value" }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: text.reported, type: "bar", data: t.reported },
        { name: text.closed, type: "bar", data: t.closed },
        { name: text.onTimeHandling, type: "line", yAxisIndex: 1, data: t.on_time_handling, connectNulls: true },
        { name: text.closure, type: "line", yAxisIndex: 1, data: t.closure, connectNulls: true }
      ]
    }, true);
  }

  function drawCategories() {
    charts.categories = chart("chart-categories");
    if (!charts.categories) return;
    charts.categories.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{
        type: "pie", radius: ["35%", "70%"],
        data: data.categories.map(function (c) { return { name: c.name, value: c.count }; })
      }]
    }, true);
  }

  function setKpis() {
    var current = data.compare[0];
    document.querySelectorAll("[data-kpi]").forEach(function (element) {
      var key = element.getAttribute("data-kpi");
      var value = key === "overdue_now" ? data.overdue_now : current[key];
      var shown = value === null || value === undefined ? "—" : value + (key === "reported" || key === "closed" || key === "overdue_now" ? "" : "%");
      var target = element.querySelector("a") || element;
      target.textContent = shown;
    });
  }

  // --- the map --------------------------------------------------------------------------------

  function colour(value, key) {
    if (value === null || value === undefined) return "#adb5bd";
    var v = LOWER_IS_BETTER[key] ? 100 - value : value;
    v = Math.max(0, Math.min(100, v));
    // red (0) → amber (60) → green (100)
    var hue = v < 60 ? (v / 60) * 40 : 40 + ((v - 60) / 40) * 80;
    return "hsl(" + hue.toFixed(0) + ", 70%, 45%)";
  }

  function valueOf(row, key) {
    if (!row) return null;
    return key === "score" ? row.score : row.rates[key];
  }

  var map = null;
  function ensureMap() {
    var element = document.getElementById("dash-map");
    if (!element || typeof L === "undefined") return null;
    if (!map) {
      map = L.map(element, { zoomSnap: 0.25, attributionControl: !!config.tileUrl });
      if (config.tileUrl) L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  function indicatorKey() {
    var select = document.getElementById("map-indicator");
    return select ? select.value : "score";
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    });
  }

  function paint() {
    if (!state.layer) return;
    var key = indicatorKey();
    state.layer.eachLayer(function (layer) {
      var row = state.rows[layer.feature.properties.code];
      layer.setStyle({ fillColor: colour(valueOf(row, key), key), fillOpacity: 0.7, color: "#fff", weight: 1.5 });
      var value = valueOf(row, key);
      layer.bindTooltip(layer.feature.properties.name + ": " + (value === null || value === undefined ? "—" : value) +
        (row && row.grade ? " (" + row.grade + ")" : ""), { className: "map-tip", sticky: true });
    });
  }

  function showUnit(code, name) {
    var m = ensureMap();
    if (!m || !code) return Promise.resolve();
    var level = CHILD_LEVEL[code.length];
    if (!level) return Promise.resolve();
    var geo = getJson(config.apiBase + "regions/" + code + "/children.geojson");
    var table = getJson(config.apiBase + "evaluation/table?level=" + level + "&parent=" + code + "&period=" + encodeURIComponent(config.period));
    return Promise.all([geo, table]).then(function (results) {
      state.rows = {};
      results[1].rows.forEach(function (row) { state.rows[row.code] = row; });
      if (state.layer) m.removeLayer(state.layer);
      state.layer = L.geoJSON(results[0], {
        onEachFeature: function (feature, layer) {
          // Paths exist only once the map has a view (after fitBounds below): tag them then.
          layer.on("add", function () {
            var element = layer.getElement();
            element.setAttribute("data-code", feature.properties.code);
            element.classList.add("unit-poly");
          });
          layer.on("click", function () {
            if (CHILD_LEVEL[feature.properties.code.length]) {
              state.stack.push({ code: code, name: name });
              showUnit(feature.properties.code, feature.properties.name);
            }
          });
        }
      }).addTo(m);
      paint();
      var bounds = state.layer.getBounds();
      if (bounds.isValid()) m.fitBounds(bounds, { padding: [8, 8] });
      state.current = { code: code, name: name, level: level };
      document.getElementById("map-title").textContent = name;
      document.getElementById("map-back").hidden = state.stack.length === 0;
      document.getElementById("dash-map").setAttribute("data-unit", code);
      document.getElementById("dash-map").setAttribute("data-level", level);
    }).catch(function () {
      document.getElementById("map-legend").textContent = text.loadFailed;
    });
  }

  function wireMap() {
    var back = document.getElementById("map-back");
    if (back) back.addEventListener("click", function () {
      var previous = state.stack.pop();
      if (previous) showUnit(previous.code, previous.name);
    });
    var select = document.getElementById("map-indicator");
    if (select) select.addEventListener("change", paint);
    showUnit(config.root, config.rootName);
  }

  // --- refresh (big screen) --------------------------------------------------------------------------

  function stamp() {
    var element = document.getElementById("big-updated");
    if (element) element.textContent = text.updated.replace("%(time)s", new Date().toLocaleTimeString());
  }

  function refresh() {
    getJson(config.apiBase + "evaluation/dashboard?period=" + encodeURIComponent(config.period)).then(function (fresh) {
      data = fresh;
      setKpis();
      drawTrend();
      drawCategories();
      if (state.current) showUnit(state.current.code, state.current.name);
      stamp();
    }).catch(function () { /* keep what is shown; try again at the next tick */ });
  }

  function start() {
    drawTrend();
    drawCategories();
    wireMap();
    stamp();
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { if (charts[k]) charts[k].resize(); });
    });
    if (config.refreshSeconds > 0) window.setInterval(refresh, config.refreshSeconds * 1000);
    window.gridgovDashboard = { charts: charts, state: state, map: function () { return map; }, refresh: refresh, showUnit: showUnit };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
