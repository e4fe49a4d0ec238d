// Report pages: the chart (ECharts, bundled locally) built with the page, and exports computed by a report
// worker whose progress is polled and shown until the file is ready.
(function () {
  "use strict";
  // The chart comes built with the page (admin_web.reports.charts): one series per queue (agent, hall …) in a
  // report by dimension, pies limited to the largest slices and "Other"; it is drawn as given.
  var chartEl = document.getElementById("report-chart");
  var chartData = document.getElementById("report-chart-data");
  if (chartEl && chartData && window.echarts) {
    var spec = JSON.parse(chartData.textContent);
    var chart = echarts.init(chartEl);
    var option;
    if (spec.type === "pie") {
      option = {tooltip: {trigger: "item"}, legend: {type: "scroll", orient: "vertical", left: 0},
                series: spec.series.map(function (s) { return {name: s.name, type: "pie", radius: "65%", data: s.data}; })};
    } else {
      var axes = [{type: "value"}];
      if (spec.percent_axis) { axes.push({type: "value", max: 100, axisLabel: {formatter: "{value}%"}}); }
      option = {title: spec.title ? {text: spec.title, left: "center", textStyle: {fontSize: 13}} : undefined,
                tooltip: {trigger: "axis"}, legend: {type: "scroll", top: spec.title ? 22 : 0},
                grid: {top: spec.title ? 56 : 36}, xAxis: {type: "category", data: spec.categories},
                yAxis: axes, series: spec.series};
    }
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    chartEl.dataset.ready = "1";
    chartEl.dataset.series = String(spec.series.length);
  }

  var box = document.getElementById("report-export");
  if (!box) { return; }
  var progress = document.getElementById("export-progress");
  var status = document.getElementById("export-status");
  var csrf = document.querySelector('input[name="csrf_token"]');
  box.querySelectorAll("button[data-format]").forEach(function (button) {
    button.addEventListener("click", function () {
      var body = new FormData(box.querySelector("form"));
      body.append("format", button.dataset.format);
      if (csrf) { body.append("csrf_token", csrf.value); }
      progress.hidden = false; progress.value = 0; status.textContent = "0%";
      fetch(box.dataset.url, {method: "POST", body: body, credentials: "same-origin"})
        .then(function (r) { return r.json(); }).then(function (job) { poll(job.status); });
    });
  });
  function poll(url) {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (job) {
        progress.value = job.percent; status.textContent = job.percent + "%";
        if (job.state === "done") { window.location = job.download; }
        else if (job.state === "failed") { status.textContent = status.dataset.failed; }
        else { setTimeout(function () { poll(url); }, 300); }
      });
  }
})();
