/* The event page: the verifier's position sent with a verification. No inline script (CSP).
   The small map, the cleared draft and the submit buttons that cannot be pressed twice are
   declared with data- attributes and run by page-actions.js. */
(function () {
  "use strict";
  // Proof of presence: the verifier's position goes with the verification when the
  // browser gives it; the server computes the distance from the event.
  var positionForms = document.querySelectorAll("form.action-form [data-verifier-position]");
  if (positionForms.length && navigator.geolocation) {
    var statuses = document.querySelectorAll(".verifier-position-status");
    statuses.forEach(function (node) { node.textContent = node.dataset.locating; });
    navigator.geolocation.getCurrentPosition(function (position) {
      document.querySelectorAll("[data-verifier-position=latitude]").forEach(function (input) {
        input.value = position.coords.latitude.toFixed(6);
      });
      document.querySelectorAll("[data-verifier-position=longitude]").forEach(function (input) {
        input.value = position.coords.longitude.toFixed(6);
      });
      statuses.forEach(function (node) { node.textContent = node.dataset.located; });
    }, function () {
      statuses.forEach(function (node) { node.textContent = node.dataset.failed; });
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
})();
