/* Wallboard: draw each snapshot pushed over Server-Sent Events (no page reload); polls the snapshot API when
   EventSource is missing. ECharts, when loaded, adds a service-level gauge; everything else is plain HTML. */
(function () {
  "use strict";
  var body = document.getElementById("wallboard");
  if (!body) { return; }
  var NONE = body.getAttribute("data-no-data");
  var status = document.getElementById("wb-status");
  var gauge = null;

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function pct(value) { return value === null || value === undefined ? NONE : value.toFixed(1) + "%"; }
  function setFigure(name, text) {
    var el = document.querySelector('[data-figure="' + name + '"]');
    if (el) { el.textContent = String(text); }
  }
  function tile(name, level) {
    var el = document.querySelector('[data-tile="' + name + '"]');
    el.classList.remove("ok", "warn", "bad");
    if (level) { el.classList.add(level); }
  }
  function cell(text, cls) {
    var td = document.createElement("td");
    td.textContent = String(text);
    if (cls) { td.className = cls; }
    return td;
  }

  function drawTiles(d) {
    var target = d.definitions.target_service_level, alerts = {};
    d.alerts.forEach(function (a) { alerts[a.kind] = true; });
    setFigure("waiting", d.waiting);
    tile("waiting", alerts.waiting ? "bad" : (d.waiting > 0 ? "warn" : "ok"));
    setFigure("longest_wait", clock(d.longest_wait_s));
    ["m15", "m60"].forEach(function (key) {
      var sl = d.service_level[key], name = key === "m15" ? "sl15" : "sl60";
      setFigure(name, pct(sl.percent));
      setFigure(name + "_detail", sl.answered_within + " / " + sl.base);
      tile(name, sl.percent === null ? "" : (sl.percent < target ? "bad" : "ok"));
    });
    setFigure("answered_today", d.today.answered);
    setFigure("abandoned_today", d.today.abandoned);
    setFigure("logged_in", d.agents.logged_in);
    setFigure("sl_threshold", d.definitions.service_level_s);
  }

  function drawAgents(d) {
    var states = document.getElementById("wb-states");
    states.textContent = "";
    d.agents.states.forEach(function (s) {
      var li = document.createElement("li");
      li.className = "state-" + s.state;
      li.setAttribute("data-agent-state", s.state);
      li.innerHTML = '<span class="label"></span><span class="count"></span>';
      li.querySelector(".label").textContent = s.label;
      li.querySelector(".count").textContent = String(s.count);
      states.appendChild(li);
    });
    var reasons = document.getElementById("wb-reasons");
    reasons.textContent = "";
    d.agents.not_ready.forEach(function (r) {
      var li = document.createElement("li");
      li.setAttribute("data-reason", r.reason);
      li.innerHTML = '<span class="label"></span><span class="count"></span>';
      li.querySelector(".label").textContent = r.label;
      li.querySelector(".count").textContent = String(r.count);
      reasons.appendChild(li);
    });
  }

  function drawQueues(d) {
    var body = document.querySelector("#wb-queues tbody");
    body.textContent = "";
    d.queues.forEach(function (q) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-queue", q.queue);
      if (q.waiting > d.definitions.alert_waiting) { tr.className = "alert"; }
      tr.appendChild(cell(q.name));
      var waiting = cell(q.waiting, "num");
      waiting.setAttribute("data-field", "waiting");
      tr.appendChild(waiting);
      var longest = cell(clock(q.longest_wait_s), "num");
      longest.setAttribute("data-field", "longest_wait");
      tr.appendChild(longest);
      [q.ready, q.busy, q.logged_in].forEach(function (v) { tr.appendChild(cell(v)); });
      body.appendChild(tr);
    });
    document.getElementById("wb-queues-empty").hidden = d.queues.length > 0;
  }

  function drawTrunks(d) {
    var body = document.querySelector("#wb-trunks tbody");
    body.textContent = "";
    d.trunks.forEach(function (t) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-trunk", t.name);
      if (t.all_busy) { tr.className = "full"; }
      tr.appendChild(cell(t.name));
      var used = cell(t.in_use, "num");
      used.setAttribute("data-field", "in_use");
      var bar = document.createElement("span"), fill = document.createElement("span");
      bar.className = "wb-bar";
      fill.style.width = (t.channels ? Math.min(100, 100 * t.in_use / t.channels) : 0) + "%";
      bar.appendChild(fill);
      used.appendChild(bar);
      tr.appendChild(used);
      var channels = cell(t.channels);
      channels.setAttribute("data-field", "channels");
      tr.appendChild(channels);
      body.appendChild(tr);
    });
    document.getElementById("wb-trunks-empty").hidden = d.trunks.length > 0;
  }

  function drawSwitch(d) {
    var line = document.getElementById("wb-switch"), sw = d["switch"];
    line.hidden = !sw;
    if (!sw) { return; }
    line.textContent = sw.label;
    line.classList.toggle("bad", !sw.connected || sw.stale);
    line.classList.toggle("warn", sw.connected && !sw.stale && sw.refused_recent > 0);
    line.setAttribute("data-connected", sw.connected && !sw.stale ? "yes" : "no");
  }

  function drawEngine(d) {
    var line = document.getElementById("wb-engine"), sys = d.system;
    line.hidden = !sys;
    if (!sys) { return; }
    line.textContent = [sys.engine_label, sys.switch_label].filter(Boolean).join(" · ");
    var down = sys.alerts.length > 0;
    line.classList.toggle("bad", down);
    line.setAttribute("data-engine", down ? "down" : "up");
  }

  function drawAlerts(d) {
    var section = document.getElementById("wb-alerts"), list = section.querySelector("ul");
    list.textContent = "";
    d.alerts.forEach(function (a) {
      var li = document.createElement("li");
      li.setAttribute("data-alert-kind", a.kind);
      li.setAttribute("data-alert-key", a.key);
      li.textContent = a.message;
      list.appendChild(li);
    });
    section.hidden = d.alerts.length === 0;
  }

  function drawGauge(d) {
    if (!window.echarts) { return; }
    var sl = d.service_level.m15.percent;
    if (!gauge) {
      var el = document.getElementById("wb-gauge");
      el.classList.add("on");
      gauge = window.echarts.init(el, "dark");
    }
    var target = d.definitions.target_service_level / 100;
    gauge.setOption({
      backgroundColor: "transparent",
      series: [{ type: "gauge", min: 0, max: 100, radius: "95%",
        axisLine: { lineStyle: { width: 14, color: [[target, "#f85149"], [1, "#3fb950"]] } },
        detail: { formatter: sl === null ? NONE : "{value}%", fontSize: 28, color: "#e6edf3" },
        title: { color: "#8b949e" }, pointer: { show: sl !== null },
        data: [{ value: sl === null ? 0 : sl, name: document.querySelector('[data-tile="sl15"] .wb-label').textContent }] }]
    });
  }

  function draw(d) {
    drawTiles(d);
    drawAgents(d);
    drawQueues(d);
    drawTrunks(d);
    drawSwitch(d);
    drawEngine(d);
    drawAlerts(d);
    drawGauge(d);
    body.setAttribute("data-updated", d.server_time);
    status.textContent = "";
  }

  function tick() {
    document.getElementById("wb-clock").textContent = new Date().toLocaleTimeString();
  }
  tick();
  window.setInterval(tick, 1000);
  window.addEventListener("resize", function () { if (gauge) { gauge.resize(); } });

  function poll() {
    fetch(body.getAttribute("data-snapshot-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(draw)
      .catch(function () { status.textContent = status.getAttribute("data-error"); })
      .then(function () { window.setTimeout(poll, 2000); });
  }

  if (!window.EventSource) { poll(); return; }
  var source = new EventSource(body.getAttribute("data-events-url"));
  source.addEventListener("snapshot", function (e) { draw(JSON.parse(e.data)); });
  source.addEventListener("error", function () { status.textContent = status.getAttribute("data-error"); });
})();
