// The period picker: show only the inputs of the chosen kind (month, quarter, year, range).
(function () {
  "use strict";
  var form = document.getElementById("period-picker");
  if (!form) return;
  var kind = form.querySelector("select[name=kind]");
  function show() {
    form.querySelectorAll("[data-kind]").forEach(function (field) {
      var kinds = field.getAttribute("data-kind").split(" ");
      field.hidden = kinds.indexOf(kind.value) === -1;
    });
  }
  kind.addEventListener("change", show);
  show();
})();
