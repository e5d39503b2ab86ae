/* Several photos from the camera: a phone's camera gives one photo per pick and a new
   pick replaces the last, so each <input type=file data-photos> keeps what was picked
   before (DataTransfer), shows thumbnails and lets a photo be removed. */
(function () {
  "use strict";
  document.querySelectorAll("input[type=file][data-photos]").forEach(function (input) {
    if (typeof DataTransfer === "undefined") { return; }
    var kept = new DataTransfer();
    var max = parseInt(input.dataset.max || "9", 10);
    var strip = document.createElement("div");
    strip.className = "photos mt-2";
    input.insertAdjacentElement("afterend", strip);
    function render() {
      strip.innerHTML = "";
      Array.prototype.forEach.call(kept.files, function (file, index) {
        var box = document.createElement("div");
        box.className = "position-relative";
        var img = document.createElement("img");
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-light position-absolute top-0 end-0 py-0 px-1";
        remove.setAttribute("aria-label", input.dataset.removeLabel || "×");
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          var next = new DataTransfer();
          Array.prototype.forEach.call(kept.files, function (f, i) { if (i !== index) { next.items.add(f); } });
          kept = next;
          input.files = kept.files;
          render();
        });
        box.appendChild(img);
        box.appendChild(remove);
        strip.appendChild(box);
      });
    }
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, function (file) {
        var known = Array.prototype.some.call(kept.files, function (f) {
          return f.name === file.name && f.size === file.size && f.lastModified === file.lastModified;
        });
        if (!known && kept.files.length < max) { kept.items.add(file); }
      });
      input.files = kept.files;
      render();
    });
  });
})();
