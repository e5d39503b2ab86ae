/* The assessment pages' charts: rankings (scores), scorecard (ratios now and before) and
   problems (created, closed and overdue per day). Labels come from data-* attributes. */
(function () {
  "use strict";
  var node = document.getElementById("score-chart");
  if (node) {
    var rows = GovChart.data("chart-data");
    if (!rows.some(function (r) { return r.score !== null && r.score !== undefined; })) {
      node.classList.add("d-none");
      document.getElementById("score-chart-empty").classList.remove("d-none");
    } else {
      GovChart.draw(node, {
        tooltip: {}, grid: { left: 40, right: 10, bottom: 80 },
        xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { rotate: 40 } },
        yAxis: { type: "value", max: 100 },
        series: [{ type: "bar", name: node.dataset.score, data: rows.map(function (r) { return r.score; }) }]
      });
    }
  }
  node = document.getElementById("ratio-chart");
  if (node) {
    var data = GovChart.data("chart-data");
    GovChart.draw(node, {
      tooltip: { trigger: "axis" }, legend: { data: [node.dataset.now, node.dataset.before] },
      grid: { left: 40, right: 10, bottom: 90 },
      xAxis: { type: "category", data: data.names, axisLabel: { rotate: 40 } }, yAxis: { type: "value", max: 100 },
      series: [{ name: node.dataset.now, type: "bar", data: data.now }, { name: node.dataset.before, type: "bar", data: data.before }]
    });
  }
  node = document.getElementById("trend-chart");
  if (node) {
    var d = GovChart.data("chart-data");
    var names = [node.dataset.created, node.dataset.closed, node.dataset.overdue];
    GovChart.draw(node, {
      tooltip: { trigger: "axis" }, legend: { data: names },
      xAxis: { type: "category", data: d.days }, yAxis: { type: "value" },
      series: [{ name: names[0], type: "line", data: d.created }, { name: names[1], type: "line", data: d.closed },
               { name: names[2], type: "line", data: d.overdue }]
    });
  }
})();
