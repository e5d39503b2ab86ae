/* The command center's map: grid boundaries of the user's area, open events coloured by
   traffic light, clustered when dense; a click opens the event. */
(function () {
  "use strict";
  var node = document.getElementById("area-map");
  var text = JSON.parse(document.getElementById("map-texts").textContent);
  var status = document.getElementById("map-status");
  var map = GovMap.create(node);
  map.setView([35, 105], 4);
  fetch(node.dataset.url, { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) { throw new Error(response.status); }
    return response.json();
  }).then(function (data) {
    var grids = GovMap.boundaries(map, data.grids);
    // A cluster takes the colour of its worst traffic light.
    var rank = { green: 0, yellow: 1, red: 2 };
    var cluster = L.markerClusterGroup({
      maxClusterRadius: 40, showCoverageOnHover: false,
      iconCreateFunction: function (group) {
        var worst = "green";
        group.getAllChildMarkers().forEach(function (m) { if (rank[m.options.light] > rank[worst]) { worst = m.options.light; } });
        var count = document.createElement("div");
        count.appendChild(GovText.node(group.getChildCount()));
        return L.divIcon({ html: count,
          className: "marker-cluster light-cluster-" + worst, iconSize: L.point(40, 40) });
      }
    });
    data.events.forEach(function (item) {
      var marker = GovMap.lightMarker(item.lat, item.lon, item.light, "event-marker event-" + item.id);
      marker.bindTooltip(GovText.node(item.code, item.category));
      marker.on("click", function () { window.location.href = node.dataset.eventUrl.replace("/0/", "/" + item.id + "/"); });
      marker.options.light = item.light;
      cluster.addLayer(marker);
    });
    map.addLayer(cluster);
    status.textContent = data.events.length + " " + text.events + " · " + data.grids.features.length + " " + text.grids;
    if (data.grids.truncated) {
      // Too many grids to draw at once: when zoomed in, draw those in view.
      var inView = null;
      map.on("moveend", function () {
        if (map.getZoom() < 13) { return; }
        var b = map.getBounds();
        var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
        fetch(node.dataset.url + "?grids_only=1&bbox=" + bbox, { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (part) {
            if (inView) { map.removeLayer(inView); }
            inView = GovMap.boundaries(map, part.grids, { color: "#7f1d1d" });
          });
      });
    }
    node.dataset.events = String(data.events.length);
    if (grids.getLayers().length) { map.fitBounds(grids.getBounds(), { padding: [10, 10] }); }
  }).catch(function () { status.textContent = text.failed; });
})();
