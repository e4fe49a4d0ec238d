// Schedule pages: the week's required and scheduled agents per 15-minute interval, and adherence and attendance
// per day (ECharts, bundled locally); the series are built on the server (admin_web.schedules.pages), drawn as given.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  function draw(elId, dataId, zoom) {
    var el = document.getElementById(elId);
    var data = document.getElementById(dataId);
    if (!el || !data) { return; }
    var spec = JSON.parse(data.textContent);
    var chart = echarts.init(el);
    var option = {tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {top: 36},
                  xAxis: {type: "category", data: spec.categories},
                  yAxis: {type: "value", name: spec.axes[0], minInterval: 1}, series: spec.series};
    if (zoom) { option.dataZoom = [{type: "inside"}, {type: "slider"}]; option.grid.bottom = 60; }
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
    el.dataset.series = String(spec.series.length);
  }
  draw("schedule-coverage-chart", "schedule-coverage-data", true);
  draw("adherence-chart", "adherence-data", false);
})();
