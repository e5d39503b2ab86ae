/* Offline queue for field forms (campaign answers; meant for every form a grid worker
   sends from the street). A form marked data-offline-queue is sent with fetch; when the
   network fails, its fields (photos included, as Blobs) are kept in IndexedDB and sent
   again when the browser is back online or the next page loads. Each form carries an
   idempotency_key field drawn by the server, so a form sent twice is applied once.
   No inline script: texts come from data- attributes of #offline-status. */
(function () {
  "use strict";
  var DB = "governance-offline", STORE = "queue";

  function db() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function withStore(mode, action) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(STORE, mode);
        var request = action(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }
  var queue = {
    put: function (item) { return withStore("readwrite", function (store) { return store.put(item); }); },
    all: function () { return withStore("readonly", function (store) { return store.getAll(); }); },
    remove: function (key) { return withStore("readwrite", function (store) { return store.delete(key); }); }
  };

  function status(text) {
    var node = document.getElementById("offline-status");
    if (!node) { return; }
    node.textContent = text || "";
    node.classList.toggle("d-none", !text);
  }
  function texts() {
    var node = document.getElementById("offline-status");
    return node ? node.dataset : {};
  }

  function fieldsOf(form) {
    var list = [];
    new FormData(form).forEach(function (value, name) {
      if (value instanceof File && !value.size) { return; }  // an empty file input
      list.push([name, value]);
    });
    return list;
  }
  function post(item) {
    var data = new FormData();
    item.fields.forEach(function (pair) {
      if (pair[1] instanceof Blob) { data.append(pair[0], pair[1], pair[1].name || "photo.jpg"); }
      else { data.append(pair[0], pair[1]); }
    });
    return fetch(item.url, { method: "POST", body: data, credentials: "same-origin" });
  }

  var flushing = false;
  function flush() {
    if (flushing || !window.indexedDB) { return Promise.resolve(); }
    flushing = true;
    return queue.all().then(function (items) {
      if (!items.length) { return; }
      status(texts().pending + " " + items.length);
      return items.reduce(function (previous, item) {
        return previous.then(function () {
          return post(item).then(function (response) {
            // Accepted, or refused for good (an answer that is no longer possible): done.
            // Server errors and lost connections stay queued.
            if (response.status < 500) { return queue.remove(item.key); }
          });
        });
      }, Promise.resolve()).then(function () {
        return queue.all().then(function (left) {
          status(left.length ? texts().pending + " " + left.length : texts().sent);
        });
      });
    }).catch(function () { /* still offline */ }).then(function () { flushing = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline-queue]") || !window.fetch || !window.indexedDB) { return; }
    event.preventDefault();
    if (form.dataset.sending) { return; }
    form.dataset.sending = "1";
    var fields = fieldsOf(form);
    var key = (fields.filter(function (pair) { return pair[0] === "idempotency_key"; })[0] || [])[1] || String(Date.now());
    var item = { key: key, url: form.getAttribute("action") || window.location.pathname, fields: fields,
                 at: new Date().toISOString() };
    post(item).then(function (response) {
      if (response.redirected) { window.location.assign(response.url); return; }
      // Not accepted (the form has mistakes): send it the ordinary way to show them.
      HTMLFormElement.prototype.submit.call(form);
    }).catch(function () {
      queue.put(item).then(function () {
        delete form.dataset.sending;
        form.reset();
        status(texts().queued);
      });
    });
  });

  window.addEventListener("online", flush);
  window.GovOfflineQueue = { flush: flush, all: function () { return queue.all(); } };
  if (navigator.onLine !== false) { flush(); }
})();
