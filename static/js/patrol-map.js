/* A patrol round on the map: the grid's boundary, the track (one line per segment: a
   gap is not drawn over), the checked objects and the findings. Redrawn on request
   (the walking page calls GovPatrolMap.refresh after each send). */
(function () {
  "use strict";
  var node = document.getElementById("round-map");
  if (!node) { return; }
  var text = JSON.parse(document.getElementById("round-map-texts").textContent);
  var map = GovMap.create(node);
  map.setView([35, 105], 4);
  var layers = L.layerGroup().addTo(map);
  var live = L.polyline([], { color: "#2563eb", weight: 3, dashArray: "4 6" }).addTo(map);
  var fitted = false;
  var colours = { done: "#16a34a", problem: "#dc2626", na: "#6b7280" };

  function draw(data) {
    layers.clearLayers();
    var grid = L.geoJSON(data.grid, { style: function () { return { color: "#b91c1c", weight: 2, fillOpacity: 0.05 }; } });
    layers.addLayer(grid);
    var bounds = grid.getBounds();
    data.segments.forEach(function (segment) {
      var line = L.polyline(segment.map(function (p) { return [p[0], p[1]]; }), { color: "#1d4ed8", weight: 4, className: "track-segment" });
      layers.addLayer(line);
      bounds.extend(line.getBounds());
    });
    data.checks.forEach(function (check) {
      if (check.lat === null || check.lon === null) { return; }
      var marker = L.circleMarker([check.lat, check.lon], { radius: 6, color: "#fff", weight: 2, fillOpacity: 0.9,
        fillColor: colours[check.result] || "#6b7280", className: "check-marker" });
      marker.bindTooltip(window.GovText.node(text.check + ":", check.item, "·", check.object));
      layers.addLayer(marker);
    });
    data.findings.forEach(function (finding) {
      if (finding.lat === null || finding.lon === null) { return; }
      var marker = L.marker([finding.lat, finding.lon], { title: finding.code });
      marker.bindTooltip(window.GovText.node(text.finding + ":", finding.code, finding.category));
      marker.on("click", function () { window.location.href = node.dataset.eventUrl.replace("/0/", "/" + finding.event + "/"); });
      layers.addLayer(marker);
    });
    node.dataset.segments = String(data.segments.length);
    node.dataset.points = String(data.segments.reduce(function (n, s) { return n + s.length; }, 0));
    node.dataset.findings = String(data.findings.length);
    node.dataset.checks = String(data.checks.length);
    if (!fitted && bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); fitted = true; }
  }

  function refresh() {
    return fetch(node.dataset.url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(draw).catch(function () { /* offline: the live line still shows the walk */ });
  }

  window.GovPatrolMap = {
    refresh: refresh,
    addLive: function (lat, lon) { live.addLatLng([lat, lon]); },
    map: map
  };
  refresh();
})();
