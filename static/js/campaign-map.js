/* A campaign's grids coloured by the share of targets visited; a click opens the grid's
   progress. Data from the page's data-url (GeoJSON). */
(function () {
  "use strict";
  var element = document.getElementById("campaign-map");
  if (!element) { return; }
  var map = window.GovMap.create(element);
  map.setView([27.7, 112.0], 11);
  function colour(share) {
    if (share === null || share === undefined) { return "#9ca3af"; }
    if (share >= 1) { return window.GovMap.LIGHT_COLOURS.green; }
    return share >= 0.5 ? window.GovMap.LIGHT_COLOURS.yellow : window.GovMap.LIGHT_COLOURS.red;
  }
  fetch(element.dataset.url, { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) { throw new Error(response.status); }
    return response.json();
  }).then(function (data) {
    var layer = L.geoJSON(data, {
      style: function (feature) {
        return { color: "#374151", weight: 1, fillColor: colour(feature.properties.share), fillOpacity: 0.55 };
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties;
        // Names as text, never HTML (GovText, static/js/safe-text.js).
        shape.bindTooltip(window.GovText.node(p.name, p.visited + "/" + p.targets, element.dataset.visited), { sticky: true });
        shape.on("click", function () { window.location.assign(p.url); });
      }
    }).addTo(map);
    if (data.features.length) { map.fitBounds(layer.getBounds()); }
    document.getElementById("map-status").textContent = String(data.features.length);
  }).catch(function () {
    document.getElementById("map-status").textContent = element.dataset.failed;
  });
})();
