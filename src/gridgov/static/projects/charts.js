// Charts of the projects and economy pages: the industry chain as a graph (upstream on the
// left, gaps in red with a dashed border), the period counts beside a year earlier, and an
// indicator's monthly trend. Data comes from json_script blocks; each chart's box stays hidden
// (and the page's tables and lists stand alone) when ECharts or the data is missing. No inline
// scripts or styles: the page's CSP allows only static files.
(function () {
  "use strict";
  var charts = [];

  function read(id) {
    var element = document.getElementById(id);
    if (!element) return null;
    try { return JSON.parse(element.textContent); } catch (e) { return null; }
  }

  function start(id) {
    var element = document.getElementById(id);
    if (!element || typeof echarts === "undefined") return null;
    element.hidden = false;
    var chart = echarts.init(element);
    charts.push(chart);
    return chart;
  }

  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function drawChain(data) {
    if (!data || !data.nodes.length) return;
    var chart = start("chain-chart");
    if (!chart) return;
    var text = data.text;
    var tiers = 1 + Math.max.apply(null, data.nodes.map(function (n) { return n.tier; }));
    // Positions in the box's own pixels, so the view scales both axes alike (round nodes); on a
    // narrow screen the chain runs from the top down instead of left to right.
    var box = document.getElementById("chain-chart");
    var width = box.clientWidth || 600, height = box.clientHeight || 400;
    var vertical = width < 500;
    var nodes = data.nodes.map(function (n) {
      var count = n.enterprises.length + n.projects.length;
      var along = (n.tier + 0.5) / tiers, across = (n.row + 0.5) / n.rows;
      return {
        id: n.id, name: n.name, x: (vertical ? across : along) * width, y: (vertical ? along : across) * height,
        symbolSize: Math.min(vertical ? 40 : 60, 24 + count * 2), value: count, raw: n,
        itemStyle: n.gap ? { color: "#fff5f5", borderColor: "#e03131", borderType: "dashed", borderWidth: 2 }
                         : { color: "#4dabf7", borderColor: "#1c7ed6", borderWidth: 1 },
        label: { show: true, position: "bottom", color: n.gap ? "#a61b1b" : "#212529",
                 formatter: n.name + (n.gap ? "" : " (" + n.enterprises.length + "/" + n.projects.length + ")") }
      };
    });
    chart.setOption({
      tooltip: {
        confine: true,
        formatter: function (params) {
          if (params.dataType !== "node") return "";
          var n = params.data.raw;
          var list = function (items) { return items.length ? items.map(escape).join("、") : "—"; };
          return "<strong>" + escape(n.name) + "</strong><br>" + escape(text.enterprises) + ": " + list(n.enterprises) +
            "<br>" + escape(text.projects) + ": " + list(n.projects) + (n.gap ? "<br>" + escape(text.gap) : "");
        }
      },
      series: [{
        type: "graph", layout: "none", roam: true, left: 50, right: 50, top: 30, bottom: 40,
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 8,
        lineStyle: { color: "#adb5bd", curveness: 0.1 },
        data: nodes, links: data.links
      }]
    });
    var list = document.getElementById("chain-list");
    if (list && tiers > 0) list.open = false; // the chart stands in for the list; the list stays one click away
  }

  function drawCounts(data) {
    if (!data) return;
    var chart = start("counts-chart");
    if (!chart) return;
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [data.text.current, data.text.previous] },
      grid: { left: 40, right: 10, bottom: 40, top: 40, containLabel: true },
      xAxis: { type: "category", data: data.measures, axisLabel: { interval: 0, width: 80, overflow: "break" } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.text.current, type: "bar", data: data.current, label: { show: true, position: "top" } },
        { name: data.text.previous, type: "bar", data: data.previous, label: { show: true, position: "top" } }
      ]
    });
    chart.on("click", function (params) {
      if (params.seriesIndex !== 0) return;
      var link = document.querySelector("[data-testid=count-" + data.keys[params.dataIndex] + "]");
      if (link) window.location.href = link.href; // the drill-down, as the table's number does
    });
  }

  function drawTrend(data) {
    if (!data || !data.months.length) return;
    var chart = start("trend-chart");
    if (!chart) return;
    var t = data.text;
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [t.value, t.monthGrowth, t.cumulativeGrowth] },
      grid: { left: 10, right: 10, bottom: 30, top: 50, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: [{ type: "value", scale: true }, { type: "value", axisLabel: { formatter: "{value}%" } }],
      dataZoom: [{ type: "inside" }],
      series: [
        { name: t.value, type: "bar", data: data.values },
        { name: t.monthGrowth, type: "line", yAxisIndex: 1, data: data.monthGrowth, connectNulls: true },
        { name: t.cumulativeGrowth, type: "line", yAxisIndex: 1, data: data.cumulativeGrowth, connectNulls: true }
      ]
    });
  }

  drawChain(read("chain-data"));
  drawCounts(read("counts-data"));
  drawTrend(read("trend-data"));
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
