// Quality inspection pages: the scorecard editor's rows, the review's player with the call's events and the
// comments marked on its bar, the comment's time mark, the card's score as the inspector types it, and the QA
// report's weekly trend (ECharts, bundled locally). The score shown here is a preview: the server scores the card
// (engine.domain.quality.score_card) and refuses what does not add up.
(function () {
  "use strict";

  // --- scorecard editor: add and remove item rows -----------------------------------------------------------
  var items = document.getElementById("items");
  var add = document.getElementById("add-item");
  if (items && add) {
    add.addEventListener("click", function () {
      var rows = items.querySelectorAll("tbody tr.item-row");
      var row = rows[rows.length - 1].cloneNode(true);
      row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      row.querySelector("select").value = "scored";
      items.querySelector("tbody").appendChild(row);
      row.querySelector("input[name=item_category]").focus();
    });
    items.addEventListener("click", function (e) {
      if (!e.target.matches("[data-remove-row]")) { return; }
      if (items.querySelectorAll("tbody tr.item-row").length > 1) { e.target.closest("tr").remove(); }
    });
  }

  // --- the player: marks on the bar, seeking, the played part ---------------------------------------------------
  var audio = document.getElementById("qa-audio");
  var bar = document.getElementById("qa-bar");
  var player = document.getElementById("qa-player");
  function mmss(s) {
    s = Math.max(0, Math.round(s));
    var m = Math.floor(s / 60), r = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }
  function duration() {
    if (audio && isFinite(audio.duration) && audio.duration > 0) { return audio.duration; }
    return parseFloat(player ? player.dataset.duration : "0") || 0;
  }
  function place() {
    if (!bar) { return; }
    var d = duration();
    bar.querySelectorAll(".qa-mark").forEach(function (m) {
      var at = parseFloat(m.dataset.at) || 0;
      m.style.left = (d > 0 ? Math.min(100, 100 * at / d) : 0) + "%";
    });
    bar.dataset.placed = "1";
  }
  function seek(at) {
    if (!audio) { return; }
    audio.currentTime = Math.max(0, at);
    if (audio.paused) { audio.play().catch(function () {}); }
  }
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-seek], .qa-mark");
    if (!t) { return; }
    seek(parseFloat(t.dataset.seek || t.dataset.at) || 0);
  });
  if (bar) {
    bar.addEventListener("click", function (e) {
      if (e.target !== bar && !e.target.classList.contains("qa-bar-played")) { return; }
      var r = bar.getBoundingClientRect();
      seek(duration() * (e.clientX - r.left) / r.width);
    });
    place();
  }
  var commentAt = document.getElementById("comment-at");
  var commentMark = document.getElementById("comment-mark");
  var commentText = document.getElementById("comment-text");
  var fixed = false;          // once the inspector starts writing, the mark stays where the player was
  function showPosition() {
    if (!audio) { return; }
    var played = document.getElementById("qa-bar-played");
    var d = duration();
    if (played && d > 0) { played.style.width = Math.min(100, 100 * audio.currentTime / d) + "%"; }
    if (commentAt && !fixed) {
      commentAt.value = String(Math.round(audio.currentTime * 1000));
      commentMark.textContent = mmss(audio.currentTime);
    }
  }
  if (audio) {
    audio.addEventListener("loadedmetadata", place);
    audio.addEventListener("timeupdate", showPosition);
    audio.addEventListener("seeked", showPosition);
  }
  if (commentText) {
    commentText.addEventListener("input", function () { fixed = commentText.value.length > 0; });
  }

  // --- the card's score, as typed ------------------------------------------------------------------------------
  document.querySelectorAll("form.qa-scoring").forEach(function (form) {
    var total = form.querySelector(".qa-total");
    if (!total) { return; }
    function update() {
      var sum = 0, weights = 0, fatal = false, missing = false;
      form.querySelectorAll("tr[data-item]").forEach(function (row) {
        if (row.dataset.fatal) {
          var box = row.querySelector("input[type=checkbox]");
          if (box && box.checked) { fatal = true; }
          return;
        }
        var max = parseFloat(row.dataset.max), w = parseFloat(row.dataset.weight);
        var input = row.querySelector("input[type=number]");
        var v = input && input.value !== "" ? parseFloat(input.value) : NaN;
        if (isNaN(v)) { missing = true; return; }
        sum += w * Math.min(max, Math.max(0, v)) / max;
        weights += w;
      });
      if (fatal) { total.textContent = "0"; }
      else if (missing || weights === 0) { total.textContent = "—"; }
      else { total.textContent = String(Math.round(1000 * sum / weights) / 10); }
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });

  // --- the report's weekly trend --------------------------------------------------------------------------------
  var trend = document.getElementById("qa-trend");
  if (trend && window.echarts) {
    var weeks = JSON.parse(trend.dataset.weeks || "[]");
    var chart = echarts.init(trend);
    chart.setOption({
      tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {top: 36},
      xAxis: {type: "category", data: weeks},
      yAxis: [{type: "value", min: 0, max: 100, name: trend.dataset.labelMean},
              {type: "value", minInterval: 1, name: trend.dataset.labelCount}],
      series: [{name: trend.dataset.labelMean, type: "line", data: JSON.parse(trend.dataset.means || "[]")},
               {name: trend.dataset.labelCount, type: "bar", yAxisIndex: 1,
                data: JSON.parse(trend.dataset.counts || "[]")}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    trend.dataset.ready = "1";
  }
})();
