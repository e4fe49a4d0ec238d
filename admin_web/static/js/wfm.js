// Workforce planning page: two charts (ECharts, bundled locally) built on the server (admin_web.wfm.planning) and
// drawn as given: past days' forecast against the actual calls, and the planned day's calls and agents per interval.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  function draw(elId, dataId, build) {
    var el = document.getElementById(elId);
    var data = document.getElementById(dataId);
    if (!el || !data) { return; }
    var spec = JSON.parse(data.textContent);
    var chart = echarts.init(el);
    chart.setOption(build(spec));
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
    el.dataset.series = String(spec.series.length);
  }
  draw("wfm-daily-chart", "wfm-daily-data", function (spec) {
    return {tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {top: 36},
            xAxis: {type: "category", data: spec.categories}, yAxis: {type: "value"}, series: spec.series};
  });
  draw("wfm-interval-chart", "wfm-interval-data", function (spec) {
    return {tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {top: 36},
            xAxis: {type: "category", data: spec.categories},
            yAxis: [{type: "value", name: spec.axes[0]}, {type: "value", name: spec.axes[1], minInterval: 1}],
            series: spec.series};
  });
})();
