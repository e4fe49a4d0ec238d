/* Floor view: poll data.json and update the queue and agent tables in place (no page reload). Each agent's row
   keeps its own action form (what a supervisor is choosing survives the refresh); rows come and go with the
   agents; a call a supervisor joined is marked on its row, and the viewer's own calls in the banner. */
(function () {
  "use strict";
  var agentsTable = document.getElementById("floor-agents");
  if (!agentsTable) { return; }
  var url = agentsTable.getAttribute("data-url");
  var interval = parseInt(agentsTable.getAttribute("data-poll-ms"), 10) || 2000;
  var actionUrl = agentsTable.getAttribute("data-action-url");
  var actionLabel = agentsTable.getAttribute("data-action-label");
  var status = document.getElementById("floor-status");
  var mine = document.getElementById("floor-mine");
  var template = document.getElementById("floor-row-template");
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }
  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }
  function drawQueues(queues) {
    var qbody = document.querySelector("#floor-queues tbody");
    qbody.textContent = "";
    queues.forEach(function (q) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-queue", q.queue);
      if (q.waiting > 0 && q.ready === 0) { tr.className = "alert"; }
      var name = cell(q.name || q.queue);
      name.title = q.queue;
      tr.appendChild(name);
      [q.waiting, duration(q.longest_wait_s), q.ready, q.busy, q.logged_in].forEach(function (v) {
        tr.appendChild(cell(String(v)));
      });
      qbody.appendChild(tr);
    });
    document.getElementById("floor-queues-empty").hidden = queues.length > 0;
  }
  function newRow(a) {
    var tr = template.content.querySelector("tr").cloneNode(true);
    tr.setAttribute("data-agent-id", a.agent_id);
    tr.querySelector("form").action = actionUrl.replace("/0/", "/" + a.agent_id + "/");
    return tr;
  }
  function set(tr, field, text) {
    var el = tr.querySelector("[data-f=" + field + "]");
    if (el.textContent !== text) { el.textContent = text; }
  }
  function updateRow(tr, a) {
    set(tr, "employee_no", a.employee_no);
    set(tr, "name", a.name);
    set(tr, "extension", a.extension);
    var badge = tr.querySelector("[data-f=state] .badge");
    badge.className = "badge state-" + a.state;
    badge.textContent = a.state_label + (a.reason_label ? " · " + a.reason_label : "");
    var monitor = tr.querySelector("[data-f=monitor]");
    monitor.hidden = !a.monitor;
    monitor.textContent = a.monitor ? a.monitor.label + " · " + a.monitor.by : "";
    tr.classList.toggle("monitored", !!a.monitor);
    set(tr, "seconds_in_state", duration(a.seconds_in_state));
    set(tr, "answered_today", String(a.answered_today));
    set(tr, "logged_in_s", duration(a.logged_in_s));
    set(tr, "not_ready_s", duration(a.not_ready_s));
    set(tr, "not_ready_count", String(a.not_ready_count));
    tr.querySelector("select").setAttribute("aria-label", actionLabel.replace("__NO__", a.employee_no));
  }
  function drawAgents(agents) {
    var abody = agentsTable.querySelector("tbody");
    var rows = {};
    Array.prototype.forEach.call(abody.querySelectorAll("tr[data-agent-id]"), function (tr) {
      rows[tr.getAttribute("data-agent-id")] = tr;
    });
    var previous = null;
    agents.forEach(function (a) {
      var id = String(a.agent_id), tr = rows[id] || newRow(a);
      delete rows[id];
      updateRow(tr, a);
      var wanted = previous ? previous.nextSibling : abody.firstChild;
      if (wanted !== tr) { abody.insertBefore(tr, wanted); }
      previous = tr;
    });
    Object.keys(rows).forEach(function (id) { abody.removeChild(rows[id]); });
  }
  function drawMine(agents) {
    if (!mine) { return; }
    var me = mine.getAttribute("data-me");
    var joined = agents.filter(function (a) { return a.monitor && a.monitor.by === me; });
    mine.hidden = joined.length === 0;
    mine.querySelector("[data-f=list]").textContent = joined.map(function (a) {
      return a.employee_no + " " + a.name + " (" + a.monitor.label + ")";
    }).join("；");
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (data) {
        drawQueues(data.queues); drawAgents(data.agents); drawMine(data.agents);
        status.textContent = ""; agentsTable.setAttribute("data-updated", data.server_time);
      })
      .catch(function () { status.textContent = status.getAttribute("data-error"); })
      .then(function () { window.setTimeout(poll, interval); });
  }
  window.setTimeout(poll, interval);     // the page came with the figures of now
})();
