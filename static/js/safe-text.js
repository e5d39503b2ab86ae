/* Text from the data (names, codes, descriptions) enters the page as text, never as
   HTML: every map tooltip and popup and every chart tooltip goes through these helpers.
   Loaded before maps.js and charts.js. */
(function () {
  "use strict";
  window.GovText = {
    // A DOM node holding the text as a text node (Leaflet accepts nodes for tooltips and popups).
    node: function () {
      var span = document.createElement("span");
      span.textContent = Array.prototype.filter.call(arguments, function (part) {
        return part !== null && part !== undefined && part !== "";
      }).join(" ");
      return span;
    }
  };
})();
