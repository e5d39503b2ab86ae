/* A "select all" checkbox: data-check-all="<name>" ticks every checkbox of that name in its form. */
(function () {
  "use strict";
  document.querySelectorAll("[data-check-all]").forEach(function (master) {
    master.addEventListener("change", function () {
      master.form.querySelectorAll("input[type=checkbox][name='" + master.dataset.checkAll + "']").forEach(function (box) {
        box.checked = master.checked;
      });
    });
  });
})();
