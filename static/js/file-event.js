/* The grid worker's report form: category search, location from GPS on a draggable pin,
   on-site fields, and a draft kept in localStorage (not the photos) with the idempotency
   key made once per draft, so a reload keeps the draft and a double submit files once. */
(function () {
  "use strict";
  var form = document.getElementById("file-form");
  if (!form) { return; }
  var DRAFT_KEY = form.dataset.draftKey || "governance:event-draft";
  var text = JSON.parse(document.getElementById("file-texts").textContent);
  var fields = ["category", "description", "latitude", "longitude", "address", "grid", "result", "reporter_name",
    "reporter_contact", "idempotency_key"];
  var status = document.getElementById("draft-status");

  function el(name) { return form.elements.namedItem(name); }
  function value(name) {
    var node = el(name);
    if (!node) { return ""; }
    if (node instanceof RadioNodeList) { return node.value; }
    return node.type === "checkbox" ? (node.checked ? "1" : "") : node.value;
  }
  function setValue(name, v) {
    var node = el(name);
    if (!node || v === undefined || v === null) { return; }
    if (node instanceof RadioNodeList) { node.value = v; return; }
    if (node.type === "checkbox") { node.checked = v === "1"; } else { node.value = v; }
  }

  // --- Draft ----------------------------------------------------------------------
  function saveDraft() {
    var draft = {};
    fields.concat(["urgency", "resolved_on_site"]).forEach(function (name) { draft[name] = value(name); });
    draft.savedAt = new Date().toISOString();
    try {
      localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
      if (status) { status.textContent = text.saved + " " + new Date().toLocaleTimeString(); }
    } catch (e) { /* storage full or disabled: the form still works */ }
  }
  function loadDraft() {
    try { return JSON.parse(localStorage.getItem(DRAFT_KEY) || "null"); } catch (e) { return null; }
  }
  var draft = loadDraft();
  if (draft && form.dataset.bound !== "1") {
    fields.concat(["urgency", "resolved_on_site"]).forEach(function (name) { setValue(name, draft[name]); });
    if (status) { status.textContent = text.restored; }
  } else if (form.dataset.bound !== "1") {
    saveDraft();  // keeps this draft's idempotency key across a reload
  }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  var discard = document.getElementById("draft-discard");
  if (discard) {
    discard.addEventListener("click", function () {
      localStorage.removeItem(DRAFT_KEY);
      window.location.href = window.location.pathname;
    });
  }

  // --- Submit once -------------------------------------------------------------------
  form.addEventListener("submit", function () {
    var button = document.getElementById("file-submit");
    window.setTimeout(function () { button.disabled = true; button.textContent = text.sending; }, 0);
  });

  // --- Category search ---------------------------------------------------------------
  var search = document.getElementById("category-search");
  var select = el("category");
  if (search && select) {
    search.addEventListener("input", function () {
      var term = search.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var groupMatches = group.label.toLowerCase().indexOf(term) !== -1;
        var visible = 0;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          var show = !term || groupMatches || option.textContent.toLowerCase().indexOf(term) !== -1;
          option.hidden = !show;
          if (show) { visible += 1; if (!first) { first = option; } }
        });
        group.hidden = visible === 0;
      });
      if (term && first && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden)) {
        select.value = first.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  // --- On site ------------------------------------------------------------------------
  var onsite = el("resolved_on_site");
  var onsiteCategories = onsite ? JSON.parse(document.getElementById("onsite-categories").textContent) : [];
  var onsiteBox = document.getElementById("onsite-fields");
  var onsiteHint = document.getElementById("onsite-hint");
  function refreshOnsite() {
    if (!onsite) { return; }
    var allowed = onsiteCategories.indexOf(parseInt(select.value, 10)) !== -1;
    onsite.disabled = !allowed;
    if (!allowed) { onsite.checked = false; }
    onsiteHint.hidden = allowed || !select.value;
    onsiteBox.hidden = !onsite.checked;
  }
  select.addEventListener("change", refreshOnsite);
  if (onsite) { onsite.addEventListener("change", refreshOnsite); }
  refreshOnsite();

  // --- Location -----------------------------------------------------------------------
  var mapNode = document.getElementById("file-map");
  var map = GovMap.create(mapNode);
  map.setView([35, 105], 4);  // a view before any layer (Leaflet needs one to draw)
  var bounds = JSON.parse(document.getElementById("grid-boundaries").textContent);
  var layer = GovMap.boundaries(map, bounds.map(function (g) {
    return { type: "Feature", geometry: g.boundary, properties: { name: g.name, code: g.code } };
  }));
  var marker = null;
  var locText = document.getElementById("location-text");
  function show(lat, lon, source) {
    setValue("latitude", lat.toFixed(6));
    setValue("longitude", lon.toFixed(6));
    locText.textContent = lat.toFixed(6) + ", " + lon.toFixed(6) + (source ? " · " + source : "");
    form.dispatchEvent(new CustomEvent("location-changed"));
    if (!marker) {
      marker = L.marker([lat, lon], { draggable: true, autoPan: true, title: text.dragPin }).addTo(map);
      marker.on("dragend", function () {
        var p = marker.getLatLng();
        show(p.lat, p.lng, text.moved);
        saveDraft();
      });
    } else {
      marker.setLatLng([lat, lon]);
    }
  }
  if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
  map.on("click", function (e) { show(e.latlng.lat, e.latlng.lng, text.moved); map.panTo(e.latlng); saveDraft(); });
  var lat = parseFloat(value("latitude")), lon = parseFloat(value("longitude"));
  if (!isNaN(lat) && !isNaN(lon)) { show(lat, lon, ""); map.setView([lat, lon], 16); }

  var locate = document.getElementById("locate");
  function useGps() {
    if (!navigator.geolocation) { locText.textContent = text.noGps; return; }
    locText.textContent = text.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      show(position.coords.latitude, position.coords.longitude, text.gps + " ±" + Math.round(position.coords.accuracy) + " m");
      map.setView([position.coords.latitude, position.coords.longitude], 16);
      saveDraft();
    }, function () {
      locText.textContent = text.gpsFailed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  locate.addEventListener("click", useGps);
  if (isNaN(lat) || isNaN(lon)) { useGps(); }
})();
