/* The hotspot map: circles of repeated problems over the grids of the user's area (which
   also give the map its view when there is no hotspot). Names go in as text. */
(function () {
  "use strict";
  var spots = JSON.parse(document.getElementById("hotspot-data").textContent);
  var node = document.getElementById("hotspot-map");
  var radius = parseFloat(node.dataset.radius);
  var map = GovMap.create(node);
  map.setView([35, 105], 4);
  var bounds = [];
  // The small class's English name when the page is in English (grids.names).
  var english = (document.documentElement.lang || "").indexOf("en") === 0;
  spots.forEach(function (spot) {
    L.circle([spot.lat, spot.lon], { radius: radius, color: "#d63384" }).addTo(map)
      .bindPopup(GovText.node(english && spot.name_en ? spot.name_en : spot.name, "·", spot.count));
    spot.events.forEach(function (e) {
      L.circleMarker([e.lat, e.lon], { radius: 3 }).addTo(map).bindPopup(GovText.node(e.code));
      bounds.push([e.lat, e.lon]);
    });
  });
  if (bounds.length) { map.fitBounds(bounds, { maxZoom: 17 }); }
  fetch(node.dataset.url, { credentials: "same-origin" }).then(function (response) {
    return response.ok ? response.json() : null;
  }).then(function (data) {
    if (!data || !data.grids.features.length) { return; }
    var grids = GovMap.boundaries(map, data.grids, { fillOpacity: 0.03 });
    grids.bringToBack();
    if (!bounds.length) { map.fitBounds(grids.getBounds()); }
  });
})();
