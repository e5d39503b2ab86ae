/* Leaflet helpers shared by the pages. Tiles come from the configured tile server
   (MAP_TILE_URL); without one the map shows grid boundaries and points on a plain
   background. Everything is served by the platform itself. Names reach tooltips and
   popups as text (safe-text.js), never as HTML. */
(function () {
  "use strict";
  function tileConfig() {
    var node = document.getElementById("map-tiles");
    return node ? JSON.parse(node.textContent) : {};
  }
  var LIGHT_COLOURS = { green: "#16a34a", yellow: "#eab308", red: "#dc2626" };

  window.GovMap = {
    LIGHT_COLOURS: LIGHT_COLOURS,
    create: function (element, options) {
      var tiles = tileConfig();
      // A max zoom even without tiles (marker clustering needs one).
      var map = L.map(element, Object.assign({ zoomControl: true, attributionControl: true, maxZoom: tiles.maxZoom || 19 },
        options || {}));
      if (tiles.url) {
        L.tileLayer(tiles.url, { maxZoom: tiles.maxZoom || 19, attribution: tiles.attribution || "" }).addTo(map);
      }
      return map;
    },
    boundaries: function (map, geojson, options) {
      var opts = options || {};
      return L.geoJSON(geojson, {
        style: function () { return { color: opts.color || "#b91c1c", weight: 2, fillOpacity: opts.fillOpacity || 0.06 }; },
        onEachFeature: function (feature, layer) {
          var p = feature.properties || {};
          if (p.name) { layer.bindTooltip(GovText.node(p.name, p.code), { sticky: true }); }
        }
      }).addTo(map);
    },
    lightMarker: function (lat, lon, light, className) {
      return L.circleMarker([lat, lon], {
        radius: 8, weight: 2, color: "#fff", fillOpacity: 0.95, fillColor: LIGHT_COLOURS[light] || "#6b7280",
        className: className || ""
      });
    }
  };
})();
