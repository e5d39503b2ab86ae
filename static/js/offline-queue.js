/* A queue of writes for field work that must survive a lost connection or a closed tab
   (DESIGN §7b). Each request is stored in IndexedDB (photos as Blobs) with its
   idempotency key before it is sent, sent in order, and removed only when the server
   has answered; a request the server refuses (4xx) is kept aside as "failed" so nothing
   is silently lost. The server applies a key once, so sending again is always safe.

   Shared by the patrol round page and, through offline-forms.js, the campaigns' forms:

     var queue = OfflineQueue.open("patrol", { csrf: token });
     queue.add({ url: "/api/v1/...", json: {...} })                       // JSON body
     queue.add({ url: "/api/v1/...", fields: [["note", "x"]], files: [["photos", blob, "a.jpg"]] })
     queue.onchange(function (state) { state.waiting, state.failed, state.online, state.lastError });
     queue.flush();   // also on "online", on add, and every 15 s

   Every request carries its key in the body ("key") and in an Idempotency-Key header.

   A request added with merge: "points" (a GPS track batch, {points: [...]}) is sent
   together with the track batches queued right behind it for the same URL, up to
   MERGE_MAX points a request: a phone that was offline for an hour sends its track in a
   few requests, not hundreds. Safe because the server identifies a point by its round
   and time, not by the request's key. */
(function () {
  "use strict";
  var DB_VERSION = 1;
  var MERGE_MAX = 500;

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID().replace(/-/g, ""); }
    var s = "";
    for (var i = 0; i < 32; i += 1) { s += Math.floor(Math.random() * 16).toString(16); }
    return s;
  }

  function openDb(name) {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("offline-queue-" + name, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("pending")) { db.createObjectStore("pending", { keyPath: "seq", autoIncrement: true }); }
        if (!db.objectStoreNames.contains("failed")) { db.createObjectStore("failed", { keyPath: "seq", autoIncrement: true }); }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(db, store, mode, work) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction(store, mode);
      var result;
      t.oncomplete = function () { resolve(result); };
      t.onerror = function () { reject(t.error); };
      result = work(t.objectStore(store));
    });
  }

  function all(db, store) {
    return new Promise(function (resolve, reject) {
      var request = db.transaction(store, "readonly").objectStore(store).getAll();
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function Queue(name, options) {
    this.name = name;
    this.csrf = (options && options.csrf) || "";
    this.listeners = [];
    this.sending = false;
    this.lastError = "";
    this.ready = openDb(name);
    var self = this;
    window.addEventListener("online", function () { self.flush(); });
    window.addEventListener("offline", function () { self.notify(); });
    window.setInterval(function () { self.flush(); }, 15000);
    this.ready.then(function () { self.flush(); });
  }

  /* The requests still waiting to be sent. */
  Queue.prototype.pending = function () {
    return this.ready.then(function (db) { return all(db, "pending"); });
  };

  Queue.prototype.onchange = function (listener) { this.listeners.push(listener); this.notify(); };

  Queue.prototype.notify = function () {
    var self = this;
    return this.ready.then(function (db) {
      return Promise.all([all(db, "pending"), all(db, "failed")]);
    }).then(function (lists) {
      var state = { waiting: lists[0].length, failed: lists[1], online: navigator.onLine, sending: self.sending,
        lastError: self.lastError };
      self.listeners.forEach(function (listener) { listener(state); });
      return state;
    });
  };

  /* Store a request; resolves with its key once it is safely in IndexedDB. */
  Queue.prototype.add = function (request) {
    var self = this;
    var record = { url: request.url, method: request.method || "POST", key: request.key || uuid(),
      json: request.json || null, fields: request.fields || null, files: request.files || null,
      merge: request.merge || null, queuedAt: new Date().toISOString() };
    if (record.json) { record.json.key = record.key; }
    if (record.fields) { record.fields.push(["key", record.key]); }
    return this.ready.then(function (db) {
      return tx(db, "pending", "readwrite", function (store) { store.add(record); });
    }).then(function () { self.notify(); self.flush(); return record.key; });
  };

  Queue.prototype.send = function (record) {
    var headers = { "X-CSRFToken": this.csrf, "Idempotency-Key": record.key, "Accept": "application/json" };
    var body;
    if (record.json) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(record.json);
    } else {
      body = new FormData();
      (record.fields || []).forEach(function (pair) { body.append(pair[0], pair[1]); });
      (record.files || []).forEach(function (file) { body.append(file[0], file[1], file[2]); });
    }
    return fetch(record.url, { method: record.method, headers: headers, body: body, credentials: "same-origin" });
  };

  /* Send what waits, in order; stop at the first network error or server trouble. */
  Queue.prototype.flush = function () {
    var self = this;
    if (this.sending) { return this.current; }
    this.sending = true;
    this.current = this.ready.then(function (db) {
      function next() {
        return all(db, "pending").then(function (pending) {
          if (!pending.length) { return true; }
          var record = pending[0];
          var sent = [record.seq];
          if (record.merge === "points" && record.json) {
            var points = record.json.points.slice();
            for (var i = 1; i < pending.length; i += 1) {
              var other = pending[i];
              if (other.merge !== "points" || other.url !== record.url || !other.json ||
                  points.length + other.json.points.length > MERGE_MAX) { break; }
              points = points.concat(other.json.points);
              sent.push(other.seq);
            }
            if (sent.length > 1) {
              record = Object.assign({}, record, { json: Object.assign({}, record.json, { points: points }) });
            }
          }
          return self.send(record).then(function (response) {
            if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429)) {
              return response.text().then(function (text) {
                return tx(db, "pending", "readwrite", function (store) {
                  sent.forEach(function (seq) { store.delete(seq); });
                }).then(function () {
                  if (!response.ok) {
                    record.status = response.status;
                    record.answer = text.slice(0, 2000);
                    return tx(db, "failed", "readwrite", function (store) { delete record.seq; store.add(record); });
                  }
                });
              }).then(function () { self.lastError = ""; self.notify(); return next(); });
            }
            self.lastError = "HTTP " + response.status;
            return false;
          }, function (error) {
            self.lastError = String(error && error.message || error);
            return false;
          });
        });
      }
      return next();
    }).then(function (drained) {
      self.sending = false;
      self.notify();
      return drained;
    }, function (error) {
      self.sending = false;
      self.lastError = String(error);
      self.notify();
      return false;
    });
    return this.current;
  };

  window.OfflineQueue = {
    open: function (name, options) { return new Queue(name, options); },
    uuid: uuid
  };
})();
