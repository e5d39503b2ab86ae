/* The coverage map: the grids in scope coloured by the page's first patrol ratio
   (red below 60 %, yellow below 90 %, green from 90 %; grey: nothing due). */
(function () {
  "use strict";
  var node = document.getElementById("coverage-map");
  if (!node) { return; }
  var figures = {};
  JSON.parse(document.getElementById("coverage-data").textContent).forEach(function (unit) { figures[unit.id] = unit; });
  var ratio = node.dataset.ratio;
  function colour(value) {
    if (value === null || value === undefined) { return "#9ca3af"; }
    return value >= 0.9 ? "#16a34a" : value >= 0.6 ? "#eab308" : "#dc2626";
  }
  var map = GovMap.create(node);
  map.setView([35, 105], 4);
  fetch(node.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    var layer = L.geoJSON(data, {
      style: function (feature) {
        var unit = figures[feature.properties.id];
        var value = unit ? unit.ratios[ratio] : null;
        return { color: "#374151", weight: 1, fillOpacity: 0.55, fillColor: colour(value) };
      },
      onEachFeature: function (feature, layer) {
        var unit = figures[feature.properties.id];
        var value = unit ? unit.ratios[ratio] : null;
        layer.bindTooltip(window.GovText.node(feature.properties.name, value === null || value === undefined ? "–" : Math.round(value * 100) + "%"));
      }
    }).addTo(map);
    node.dataset.grids = String(layer.getLayers().length);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
  });
})();
