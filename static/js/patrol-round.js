/* Walking a patrol round on the phone: the GPS track recorded while the page is open
   (sent in batches), item checks at objects, one-tap findings with photos, and the end
   of the round — every write goes through the offline queue (offline-queue.js), so a
   lost connection or a closed tab loses nothing and a replay applies nothing twice.
   Positions are sent as the phone gives them (accuracy included); nothing is invented.

   Starting a round is queued too (the patrols page's start form): the start carries the
   browser's round key, and everything recorded behind it is sent to the round's key
   URLs (/api/v1/patrols/rounds/key/<key>/…), so a round started without a connection is
   walked on the patrols page itself and created when the queue is sent. */
(function () {
  "use strict";
  var textNode = document.getElementById("walk-texts");
  if (!textNode) { return; }
  var text = JSON.parse(textNode.textContent);
  // The phone sends its fixes every minute or every 100 fixes; a queue that waited
  // offline sends them merged, up to 500 a request (offline-queue.js, "merge").
  var BATCH_POINTS = 100;
  var BATCH_SECONDS = 60;
  var queue = null;

  function openQueue(csrf) {
    if (!queue) { queue = OfflineQueue.open("patrol", { csrf: csrf }); }
    return queue;
  }

  function walk(block) {
    var root = block.querySelector(".walk");
    var q = openQueue(root.dataset.csrf);
    var statusNode = block.querySelector(".queue-status");
    var failedNode = block.querySelector(".queue-failed");
    var gpsNode = block.querySelector(".gps-status");
    var logNode = block.querySelector(".round-log");
    var checkForm = block.querySelector(".check-form");
    var findingForm = block.querySelector(".finding-form");
    var BUFFER_KEY = "patrol-track-buffer-" + root.dataset.round;
    var buffer = [];
    var lastFix = null;
    var ending = false;

    try { buffer = JSON.parse(localStorage.getItem(BUFFER_KEY) || "[]"); } catch (e) { buffer = []; }

    function log(message) {
      var li = document.createElement("li");
      li.textContent = new Date().toLocaleTimeString() + " " + message;
      logNode.insertBefore(li, logNode.firstChild);
    }

    q.onchange(function (state) {
      var parts = [state.online ? text.online : text.offline];
      parts.push(state.waiting ? state.waiting + " " + text.waiting : text.allSent);
      statusNode.textContent = parts.join(" · ");
      statusNode.dataset.waiting = String(state.waiting);
      statusNode.className = "alert py-1 small mb-2 queue-status " + (state.online ? "alert-secondary" : "alert-warning");
      failedNode.hidden = !state.failed.length;
      failedNode.textContent = state.failed.length ? text.failed + " " + state.failed.map(function (f) { return f.answer; }).join("; ") : "";
      if (!state.waiting && state.online && window.GovPatrolMap) { window.GovPatrolMap.refresh(); }
      if (ending && !state.waiting && state.online) { window.location.href = root.dataset.doneUrl; }
    });

    // --- Track ------------------------------------------------------------------------
    function keepBuffer() {
      try { localStorage.setItem(BUFFER_KEY, JSON.stringify(buffer)); } catch (e) { /* storage full: sent soon anyway */ }
    }
    function sendBuffer() {
      if (!buffer.length) { return Promise.resolve(); }
      var points = buffer;
      buffer = [];
      return q.add({ url: root.dataset.trackUrl, json: { points: points }, merge: "points" }).then(keepBuffer);
    }
    if (navigator.geolocation) {
      navigator.geolocation.watchPosition(function (position) {
        var c = position.coords;
        lastFix = { lat: c.latitude, lon: c.longitude, accuracy: c.accuracy };
        buffer.push({ at: position.timestamp, lat: c.latitude, lon: c.longitude, accuracy: c.accuracy });
        keepBuffer();
        gpsNode.textContent = text.gps + " " + c.latitude.toFixed(5) + ", " + c.longitude.toFixed(5) + " ±" + Math.round(c.accuracy) + " m";
        if (window.GovPatrolMap) { window.GovPatrolMap.addLive(c.latitude, c.longitude); }
        if (buffer.length >= BATCH_POINTS) { sendBuffer(); }
      }, function () { gpsNode.textContent = text.gpsFailed; }, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
    } else {
      gpsNode.textContent = text.noGps;
    }
    window.setInterval(sendBuffer, BATCH_SECONDS * 1000);
    // A closing tab keeps its unsent points in localStorage; queue them when hidden.
    document.addEventListener("visibilitychange", function () { if (document.hidden) { sendBuffer(); } });
    sendBuffer();

    function position(fields) {
      if (lastFix) {
        fields.push(["latitude", lastFix.lat.toFixed(6)]);
        fields.push(["longitude", lastFix.lon.toFixed(6)]);
      }
    }
    function files(input) {
      return Array.prototype.map.call(input.files || [], function (file) { return ["photos", file, file.name]; });
    }

    // --- Checks -----------------------------------------------------------------------
    var current = null;
    Array.prototype.forEach.call(block.querySelectorAll(".slot-button"), function (button) {
      button.addEventListener("click", function () {
        current = button;
        checkForm.hidden = false;
        checkForm.elements.item.value = button.dataset.item;
        checkForm.elements.object_kind.value = button.dataset.kind;
        checkForm.elements.object_id.value = button.dataset.object;
        checkForm.querySelector(".check-title").textContent = button.dataset.itemName + " · " + button.dataset.label;
        checkForm.scrollIntoView({ block: "nearest" });
      });
    });
    checkForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var key = OfflineQueue.uuid();
      var result = checkForm.elements.result.value;
      var fields = [["item", checkForm.elements.item.value], ["object_kind", checkForm.elements.object_kind.value],
        ["object_id", checkForm.elements.object_id.value], ["result", result], ["note", checkForm.elements.note.value],
        ["at", new Date().toISOString()]];
      position(fields);
      var button = current;
      q.add({ url: root.dataset.checksUrl, key: key, fields: fields, files: files(checkForm.elements.photos) }).then(function () {
        log(text.checkSaved + ": " + button.dataset.itemName + " · " + button.dataset.label);
        button.className = "btn btn-sm slot-button " + (result === "problem" ? "btn-danger" : "btn-success");
        if (result === "problem") {
          // One tap from a problem to a finding: the small class and the check are filled in.
          findingForm.elements.check_key.value = key;
          if (button.dataset.category) { findingForm.elements.category.value = button.dataset.category; }
          findingForm.elements.description.value = button.dataset.itemName + " · " + button.dataset.label + ": " + checkForm.elements.note.value;
          findingForm.scrollIntoView({ block: "nearest" });
        }
        checkForm.reset();
        checkForm.hidden = true;
      });
    });

    // --- Findings ---------------------------------------------------------------------
    findingForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var fields = [["category", findingForm.elements.category.value], ["description", findingForm.elements.description.value],
        ["at", new Date().toISOString()]];
      if (findingForm.elements.check_key.value) { fields.push(["check_key", findingForm.elements.check_key.value]); }
      position(fields);
      q.add({ url: root.dataset.findingsUrl, fields: fields, files: files(findingForm.elements.photos) }).then(function () {
        log(text.findingSaved + ": " + findingForm.elements.description.value);
        findingForm.reset();
      });
    });

    // --- End --------------------------------------------------------------------------
    block.querySelector(".end-round").addEventListener("click", function () {
      if (!window.confirm(text.endConfirm)) { return; }
      sendBuffer().then(function () {
        return q.add({ url: root.dataset.endUrl, json: { at: new Date().toISOString() } });
      }).then(function () {
        ending = true;
        log(text.pendingEnd);
        q.flush();
      });
    });
  }

  // The round page: walk the round shown.
  Array.prototype.forEach.call(document.querySelectorAll(".walk-block:not([hidden])"), walk);

  // The patrols page: a start is queued like any write. Sent at once (online), the round
  // page opens; not sent (offline), the round is walked here, its writes queued behind
  // the start by the round's key.
  var startForm = document.getElementById("start-form");
  if (!startForm) { return; }
  startForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var key = startForm.elements.key.value;
    var grid = startForm.elements.grid.value;
    var q = openQueue(startForm.dataset.csrf);
    var started = new Date().toISOString();
    startForm.querySelector("button").disabled = true;
    q.add({ url: startForm.dataset.apiUrl, key: key, json: { grid: Number(grid), at: started } }).then(function () {
      return q.flush();
    }).then(function (drained) {
      var page = startForm.dataset.keyPage.replace("__key__", key);
      if (drained && navigator.onLine) { window.location.href = page; return; }
      var block = document.querySelector('.walk-block[data-grid="' + grid + '"]');
      var root = block.querySelector(".walk");
      ["trackUrl", "checksUrl", "findingsUrl", "endUrl"].forEach(function (name) {
        root.dataset[name] = root.dataset[name].replace("__key__", key);
      });
      root.dataset.round = key;
      root.dataset.doneUrl = page;
      startForm.hidden = true;
      block.hidden = false;
      walk(block);
      block.scrollIntoView({ block: "start" });
    });
  });
})();
