/* ECharts set up once for every chart of the pages (dashboard, assessment). Tooltips are
   drawn by the chart itself (richText), so names from the data never become HTML and no
   inline style reaches the page (the Content Security Policy allows none). */
(function () {
  "use strict";
  var charts = [];
  window.GovChart = {
    draw: function (node, option, renderer) {
      var instance = echarts.init(node, null, { renderer: renderer || "canvas" });
      if (option.tooltip) { option.tooltip = Object.assign({}, option.tooltip, { renderMode: "richText" }); }
      instance.setOption(option);
      charts.push(instance);
      return instance;
    },
    data: function (id) { return JSON.parse(document.getElementById(id).textContent); }
  };
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
