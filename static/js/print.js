/* A button with data-print prints the page (no inline onclick: the CSP forbids it). */
document.querySelectorAll("[data-print]").forEach(function (button) {
  "use strict";
  button.addEventListener("click", function () { window.print(); });
});
