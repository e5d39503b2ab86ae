/* While a report is being written: once the point (and the category) is known, ask the
   platform which grid the point lies in, suggest an address from the nearest known
   building (only into an empty field), and list open reports of the same kind nearby so
   the reporter can follow one instead of filing again. Data goes in as text only. */
(function () {
  "use strict";
  var form = document.getElementById("file-form");
  if (!form || !form.dataset.checkUrl || !window.fetch) { return; }
  var texts = JSON.parse(document.getElementById("check-texts").textContent);
  var gridHint = document.getElementById("grid-hint");
  var box = document.getElementById("nearby-reports");
  var list = document.getElementById("nearby-list");
  var address = form.elements.namedItem("address");
  var suggested = "";
  var timer = null;
  var last = "";

  function field(name) { var node = form.elements.namedItem(name); return node ? node.value : ""; }

  function check() {
    var lat = field("latitude"), lon = field("longitude");
    if (!lat || !lon) { return; }
    var query = new URLSearchParams({ lat: lat, lon: lon, category: field("category") }).toString();
    if (query === last) { return; }
    last = query;
    fetch(form.dataset.checkUrl + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && query === last) { render(data); } })
      .catch(function () { /* offline: the form still works */ });
  }

  function render(data) {
    if (gridHint) {
      if (data.grid) {
        gridHint.textContent = texts.grid + data.grid.name + " " + data.grid.code + (data.outside ? " · " + texts.outside : "");
        gridHint.classList.toggle("text-danger", Boolean(data.outside));
      } else {
        gridHint.textContent = texts.noGrid;
        gridHint.classList.add("text-danger");
      }
    }
    if (address && data.address && (address.value === "" || address.value === suggested)) {
      address.value = data.address;
      suggested = data.address;
      address.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (!box) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    (data.nearby || []).forEach(function (item) {
      var link = document.createElement("a");
      link.className = "list-group-item list-group-item-action small";
      link.href = item.url;
      link.target = "_blank";
      link.rel = "noopener";
      var title = document.createElement("strong");
      title.textContent = (item.code ? item.code + " · " : "") + item.category;
      link.appendChild(title);
      var details = document.createElement("span");
      details.className = "d-block text-body-secondary";
      details.textContent = item.state + " · " + texts.metres.replace("%(metres)s", item.distance) +
        (item.description ? " · " + item.description : "");
      link.appendChild(details);
      list.appendChild(link);
    });
    box.hidden = !(data.nearby && data.nearby.length);
  }

  function schedule() { window.clearTimeout(timer); timer = window.setTimeout(check, 400); }
  form.addEventListener("location-changed", schedule);
  form.addEventListener("change", function (event) {
    if (event.target.name === "category" || event.target.name === "latitude") { schedule(); }
  });
  schedule();
})();
