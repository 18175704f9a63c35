// A unit's (street, community, grid) figures for the current month on its page, read from the
// evaluation API; the card stays hidden when the figures are outside the user's scope.
(function () {
  "use strict";
  var card = document.getElementById("unit-figures");
  if (!card || !window.fetch) return;
  var list = document.getElementById("unit-figures-list");
  var text = card.dataset;
  function add(label, value) {
    var dt = document.createElement("dt");
    var dd = document.createElement("dd");
    dt.textContent = label;
    dd.textContent = value === null || value === undefined ? "—" : value;
    list.appendChild(dt);
    list.appendChild(dd);
    return dd;
  }
  function percent(value) { return value === null || value === undefined ? null : value + "%"; }
  fetch(card.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
    .then(function (table) {
      var row = table.rows.filter(function (r) { return r.code === card.dataset.code; })[0];
      if (!row) return;
      add(text.textScore, row.score).setAttribute("data-figure", "score");
      var grade = add(text.textGrade, "");
      grade.setAttribute("data-figure", "grade");
      var badge = document.createElement("span");
      badge.className = "grade grade-" + (row.grade || "none");
      badge.textContent = row.grade || "—";
      grade.appendChild(badge);
      add(text.textReported, row.counts.reported);
      add(text.textClosed, row.counts.closed);
      add(text.textOverdue, row.counts.overdue);
      add(text.textOnTime, percent(row.rates.on_time_handling));
      add(text.textClosure, percent(row.rates.closure));
      add(text.textWithinGrid, percent(row.rates.within_grid));
      card.hidden = false;
    })
    .catch(function () { /* outside the user's scope, or no figures: the card stays hidden */ });
})();
