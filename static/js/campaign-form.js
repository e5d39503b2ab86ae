/* A campaign target's form: questions shown only when their condition holds, the GPS
   position and the time of recording, and the signature pad. */
(function () {
  "use strict";
  function valueOf(form, name) {
    var checked = form.querySelector('[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var field = form.querySelector('select[name="' + name + '"], input[type=number][name="' + name + '"], textarea[name="' + name + '"]');
    return field ? field.value : "";
  }
  function applyConditions(form) {
    form.querySelectorAll(".campaign-field[data-when-field]").forEach(function (block) {
      var shown = valueOf(form, block.dataset.whenField) === block.dataset.whenEquals;
      block.classList.toggle("d-none", !shown);
      block.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !shown; });
    });
  }
  function signature(canvas) {
    var input = document.getElementById(canvas.dataset.signatureFor);
    var context = canvas.getContext("2d");
    var drawing = false;
    function size() { canvas.width = canvas.clientWidth; }
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return [event.clientX - box.left, event.clientY - box.top];
    }
    size();
    canvas.style.touchAction = "none";  // a finger draws instead of scrolling the page
    context.lineWidth = 2;
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      var at = point(event);
      context.beginPath();
      context.moveTo(at[0], at[1]);
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var at = point(event);
      context.lineTo(at[0], at[1]);
      context.stroke();
    });
    canvas.addEventListener("pointerup", function () {
      drawing = false;
      input.value = canvas.toDataURL("image/png");
    });
    var clear = document.querySelector('[data-signature-clear="' + canvas.dataset.signatureFor + '"]');
    if (clear) {
      clear.addEventListener("click", function () { context.clearRect(0, 0, canvas.width, canvas.height); input.value = ""; });
    }
  }
  var position = null;
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (found) { position = found.coords; }, function () {},
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (form.querySelector(".campaign-field")) {
      applyConditions(form);
      form.addEventListener("change", function () { applyConditions(form); });
    }
    // On the form itself, so the values are in place before the offline queue reads them.
    form.addEventListener("submit", function () {
      form.querySelectorAll("[data-now]").forEach(function (input) { input.value = new Date().toISOString(); });
      if (position) {
        form.querySelectorAll('[data-geo="latitude"]').forEach(function (input) { input.value = position.latitude.toFixed(6); });
        form.querySelectorAll('[data-geo="longitude"]').forEach(function (input) { input.value = position.longitude.toFixed(6); });
      }
    });
  });
  document.querySelectorAll("canvas[data-signature-for]").forEach(signature);
})();
