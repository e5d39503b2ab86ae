/* The dashboard's charts (ECharts, served by the platform; set up by charts.js). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var text = JSON.parse(document.getElementById("chart-texts").textContent);
  function chart(id, option, empty) {
    if (empty) {
      option = { title: { text: text.empty, left: "center", top: "middle", textStyle: { color: "#6b7280", fontSize: 14, fontWeight: "normal" } } };
    }
    GovChart.draw(document.getElementById(id), option, "svg");
  }
  var grid = { left: 8, right: 16, top: 30, bottom: 8, containLabel: true };
  chart("chart-days", {
    tooltip: { trigger: "axis" }, legend: { data: [text.new, text.closed] }, grid: grid,
    xAxis: { type: "category", data: data.days }, yAxis: { type: "value", minInterval: 1 },
    series: [{ name: text.new, type: "line", data: data.new, smooth: true, color: "#b91c1c" },
             { name: text.closed, type: "line", data: data.closed, smooth: true, color: "#15803d" }]
  }, data.days.length === 0);
  chart("chart-states", {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["30%", "55%"], data: data.states, label: { formatter: "{b}: {c}" } }]
  }, data.states.length === 0);
  function bars(id, rows, name, colour, max) {
    var reversed = rows.slice().reverse();
    chart(id, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, grid: grid,
      xAxis: { type: "value", minInterval: 1, max: max },
      yAxis: { type: "category", data: reversed.map(function (r) { return r.name; }), axisLabel: { width: 120, overflow: "truncate" } },
      series: [{ name: name, type: "bar", data: reversed.map(function (r) { return r.value; }), color: colour }]
    }, rows.length === 0);
  }
  bars("chart-categories", data.categories, text.events, "#b91c1c");
  bars("chart-grids", data.grids, text.events, "#1d4ed8");
  bars("chart-departments", data.departments, text.rate, "#15803d", 100);
})();
