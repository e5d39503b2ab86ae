/* Field forms that survive a lost connection (campaign answers, "nobody home", one-tap
   events; meant for every form a grid worker sends from the street), on top of the one
   queue in offline-queue.js. A form marked data-offline-queue is sent with fetch; when the
   network fails, its fields (photos included, as Blobs) go into the queue and are sent
   again when the browser is back online or the next page loads. Each form carries an
   idempotency_key field drawn by the server, which is also the queue's key, so a form sent
   twice is applied once. No inline script: texts come from data- attributes of
   #offline-status. */
(function () {
  "use strict";
  if (!window.OfflineQueue || !window.fetch || !window.indexedDB) { return; }
  var queue = window.OfflineQueue.open("forms", {});

  function texts() {
    var node = document.getElementById("offline-status");
    return node ? node.dataset : {};
  }
  function status(text) {
    var node = document.getElementById("offline-status");
    if (!node) { return; }
    node.textContent = text || "";
    node.classList.toggle("d-none", !text);
  }

  var waited = 0;
  queue.onchange(function (state) {
    if (state.waiting) { status(texts().pending + " " + state.waiting); }
    else if (waited) { status(texts().sent); }
    waited = state.waiting;
  });

  function fieldsOf(form) {
    var list = [];
    new FormData(form).forEach(function (value, name) {
      if (value instanceof File && !value.size) { return; }  // an empty file input
      list.push([name, value]);
    });
    return list;
  }
  function post(url, fields) {
    var data = new FormData();
    fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    return fetch(url, { method: "POST", body: data, credentials: "same-origin" });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline-queue]")) { return; }
    event.preventDefault();
    if (form.dataset.sending) { return; }
    form.dataset.sending = "1";
    var fields = fieldsOf(form);
    var key = (fields.filter(function (pair) { return pair[0] === "idempotency_key"; })[0] || [])[1] || window.OfflineQueue.uuid();
    var url = form.getAttribute("action") || window.location.pathname;
    post(url, fields).then(function (response) {
      if (response.redirected) { window.location.assign(response.url); return; }
      // Not accepted (the form has mistakes): send it the ordinary way to show them.
      HTMLFormElement.prototype.submit.call(form);
    }).catch(function () {
      queue.add({ url: url, key: key, fields: fields }).then(function () {
        delete form.dataset.sending;
        form.reset();
        status(texts().queued);
      });
    });
  });

  window.GovOfflineQueue = { flush: function () { return queue.flush(); }, all: function () { return queue.pending(); } };
})();
