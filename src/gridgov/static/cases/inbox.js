// The inbox's live countdown (time left to each deadline, or how long overdue) and its
// self-refresh: the page reloads every `refreshSeconds` unless the user is typing in a form
// or has ticked cases (a reload would lose that). Texts come translated from the page.
(function () {
  "use strict";
  var configElement = document.getElementById("inbox-config");
  if (!configElement) return;
  var config = JSON.parse(configElement.textContent);
  var text = config.text;

  function amount(milliseconds) {
    var minutes = Math.floor(milliseconds / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var parts = [];
    if (days) parts.push(text.days.replace("%(count)s", days));
    if (hours) parts.push(text.hours.replace("%(count)s", hours));
    if (!days) parts.push(text.minutes.replace("%(count)s", minutes % 60));
    return parts.join(" ");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.countdown").forEach(function (element) {
      var left = Date.parse(element.getAttribute("datetime")) - now;
      element.textContent = left >= 0 ? text.left.replace("%(time)s", amount(left)) : text.over.replace("%(time)s", amount(-left));
      element.classList.toggle("is-over", left < 0);
    });
  }

  var busy = false;
  document.addEventListener("input", function () { busy = true; });
  document.addEventListener("change", function () { busy = true; });

  function refresh() {
    var ticked = document.querySelector("#batch-dispatch input[type=checkbox]:checked");
    var active = document.activeElement;
    var typing = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
    if (!busy && !ticked && !typing) window.location.reload();
  }

  tick();
  setInterval(tick, 30000);
  if (config.refreshSeconds > 0) setInterval(refresh, config.refreshSeconds * 1000);
})();
