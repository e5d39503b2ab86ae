/* Small behaviours of server-rendered pages, declared in the markup with data-*
   attributes instead of inline scripts (the Content Security Policy allows none):
   - <button data-print> prints the page;
   - <… data-clear-draft="key"> removes a saved form draft from localStorage;
   - <form data-disable-on-submit> disables its submit button once sent;
   - <div data-event-map data-lat data-lon data-light> draws the event's place and grid. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-clear-draft]").forEach(function (node) {
    try { localStorage.removeItem(node.dataset.clearDraft); } catch (e) { /* storage off */ }
  });
  document.querySelectorAll("form[data-disable-on-submit]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
  var node = document.querySelector("[data-event-map]");
  if (node && window.GovMap) {
    var lat = parseFloat(node.dataset.lat), lon = parseFloat(node.dataset.lon);
    var map = GovMap.create(node);
    map.setView([lat, lon], 16);
    var boundary = JSON.parse(document.getElementById("event-grid").textContent);
    if (boundary) { GovMap.boundaries(map, boundary); }
    GovMap.lightMarker(lat, lon, node.dataset.light).addTo(map);
  }
})();
