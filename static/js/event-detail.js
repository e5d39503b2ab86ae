/* The event page: its small map, the verifier's position sent with a verification,
   submit buttons that cannot be pressed twice. No inline script (CSP). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (script && script.dataset.clearDraft) {
    try { localStorage.removeItem(script.dataset.clearDraft); } catch (e) { /* private mode */ }
  }

  var mapNode = document.getElementById("event-map");
  if (mapNode && window.GovMap) {
    var lat = parseFloat(mapNode.dataset.lat), lon = parseFloat(mapNode.dataset.lon);
    var map = GovMap.create("event-map");
    map.setView([lat, lon], 16);
    var boundaryNode = document.getElementById("event-grid");
    var boundary = boundaryNode ? JSON.parse(boundaryNode.textContent) : null;
    if (boundary) { GovMap.boundaries(map, boundary); }
    GovMap.lightMarker(lat, lon, mapNode.dataset.light).addTo(map);
  }

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

  document.querySelectorAll("form.action-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
