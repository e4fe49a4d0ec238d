// Report pages: the chart (ECharts, bundled locally) from the page's JSON API, and exports computed by a report
// worker whose progress is polled and shown until the file is ready.
(function () {
  "use strict";
  var chartEl = document.getElementById("report-chart");
  if (chartEl && window.echarts) {
    fetch(chartEl.dataset.api, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
      var chart = echarts.init(chartEl);
      var rows = data.rows || [];
      var cats = rows.map(function (r) { return [r.period, r.label].filter(Boolean).join(" "); });
      var option;
      if (data.kind === "regions") {
        option = {tooltip: {trigger: "item"}, series: [{type: "pie", radius: "65%",
          data: rows.map(function (r) { return {name: r.label || "?", value: r.calls}; })}]};
      } else {
        var bars = {service: ["requests", "answered", "abandoned"], callers: ["arrived", "talks", "abandoned"],
                    traffic: ["arrived", "dialed", "trunk_busy"], agents: ["answered", "talks", "transfers"]}[data.kind] || [];
        var line = {service: "service_level", callers: "abandon_rate", agents: "utilization"}[data.kind];
        var series = bars.map(function (c) { return {name: data.labels[c], type: "bar", data: rows.map(function (r) { return r[c]; })}; });
        if (line) {
          series.push({name: data.labels[line], type: "line", yAxisIndex: 1,
                       data: rows.map(function (r) { return r[line] === null ? null : Math.round(r[line] * 100) / 100; })});
        }
        option = {tooltip: {trigger: "axis"}, legend: {}, xAxis: {type: "category", data: cats},
                  yAxis: [{type: "value"}, {type: "value", max: 100, axisLabel: {formatter: "{value}%"}}], series: series};
      }
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
      chartEl.dataset.ready = "1";
    });
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
