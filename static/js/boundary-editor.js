/* The admin's grid boundary field drawn on a map (Leaflet + leaflet-geoman, served from
   static/vendor): the GeoJSON in the text box is shown as polygons that can be drawn,
   moved vertex by vertex or removed; every change writes the geometry back to the box
   (one Polygon, or a MultiPolygon for several parts). The box still takes pasted GeoJSON. */
(function () {
  "use strict";
  function start() {
  document.querySelectorAll("[data-boundary-editor]").forEach(function (box) {
    var textarea = document.getElementById(box.dataset.boundaryEditor);
    if (!textarea || !window.L || !window.GovMap) { return; }
    var map = GovMap.create(box);
    map.setView([35, 105], 4);

    function polygons() {
      var found = [];
      map.eachLayer(function (layer) {
        if (layer instanceof L.Polygon && !layer._pmTempLayer) { found.push(layer); }
      });
      return found;
    }
    function write() {
      var parts = polygons().map(function (layer) { return layer.toGeoJSON().geometry; });
      var coordinates = [];
      parts.forEach(function (geometry) {
        if (geometry.type === "Polygon") { coordinates.push(geometry.coordinates); }
        if (geometry.type === "MultiPolygon") { coordinates = coordinates.concat(geometry.coordinates); }
      });
      if (!coordinates.length) { textarea.value = ""; }
      else if (coordinates.length === 1) { textarea.value = JSON.stringify({ type: "Polygon", coordinates: coordinates[0] }); }
      else { textarea.value = JSON.stringify({ type: "MultiPolygon", coordinates: coordinates }); }
      textarea.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function watch(layer) {
      layer.on("pm:edit", write);
      layer.on("pm:remove", write);
    }
    function load() {
      polygons().forEach(function (layer) { map.removeLayer(layer); });
      var geometry = null;
      try { geometry = textarea.value.trim() ? JSON.parse(textarea.value) : null; } catch (e) { geometry = null; }
      if (!geometry) { return; }
      var group = L.geoJSON(geometry, { style: { color: "#b91c1c", weight: 2, fillOpacity: 0.1 } });
      group.eachLayer(function (layer) { layer.addTo(map); watch(layer); });
      if (group.getLayers().length) { map.fitBounds(group.getBounds(), { padding: [20, 20] }); }
    }

    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawCircle: false,
      drawText: false, cutPolygon: false, rotateMode: false
    });
    map.pm.setLang(document.documentElement.lang && document.documentElement.lang.indexOf("zh") === 0 ? "zh" : "en");
    map.on("pm:create", function (event) { watch(event.layer); write(); });
    map.on("pm:remove", write);
    textarea.addEventListener("input", load);
    load();
    box.editor = { map: map, write: write, polygons: polygons };
  });
  }
  // The admin loads form media in the page's head, before the field exists.
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
