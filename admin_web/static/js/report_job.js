// A report still computing in a report worker: follow its job and open the report (or its file) when done.
(function () {
  "use strict";
  var box = document.getElementById("report-job");
  if (!box || box.dataset.state === "failed") { return; }
  var text = document.getElementById("report-job-text");
  var bar = document.getElementById("report-job-progress");
  function poll() {
    fetch(box.dataset.status, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      bar.value = job.percent;
      box.dataset.state = job.state;
      if (job.state === "done") { window.location = box.dataset.then; return; }
      if (job.state === "failed") { text.textContent = text.dataset.failed; text.className = "error"; return; }
      text.textContent = job.state === "queued" ? text.dataset.queued : text.dataset.running;
      setTimeout(poll, 1000);
    }, function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
