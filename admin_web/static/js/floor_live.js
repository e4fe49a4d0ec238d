/* Floor view: poll data.json and redraw the queue and agent tables in place (no page reload). */
(function () {
  "use strict";
  var agentsTable = document.getElementById("floor-agents");
  if (!agentsTable) { return; }
  var url = agentsTable.getAttribute("data-url");
  var interval = parseInt(agentsTable.getAttribute("data-poll-ms"), 10) || 2000;
  var status = document.getElementById("floor-status");
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }
  function cell(text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    return td;
  }
  function draw(data) {
    var qbody = document.querySelector("#floor-queues tbody");
    qbody.textContent = "";
    data.queues.forEach(function (q) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-queue", q.queue);
      if (q.waiting > 0 && q.ready === 0) { tr.className = "alert"; }
      [q.queue, q.waiting, duration(q.longest_wait_s), q.ready, q.busy, q.logged_in].forEach(function (v) {
        tr.appendChild(cell(String(v)));
      });
      qbody.appendChild(tr);
    });
    document.getElementById("floor-queues-empty").hidden = data.queues.length > 0;
    var abody = agentsTable.querySelector("tbody");
    abody.textContent = "";
    data.agents.forEach(function (a) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-agent-id", a.agent_id);
      tr.appendChild(cell(a.employee_no, "mono"));
      tr.appendChild(cell(a.name));
      tr.appendChild(cell(a.extension, "mono"));
      var st = cell(a.state_label + (a.reason_label ? " · " + a.reason_label : ""));
      var badge = document.createElement("span");
      badge.className = "badge state-" + a.state;
      badge.textContent = st.textContent;
      st.textContent = "";
      st.appendChild(badge);
      tr.appendChild(st);
      tr.appendChild(cell(duration(a.seconds_in_state), "mono"));
      tr.appendChild(cell(String(a.answered_today)));
      tr.appendChild(cell(duration(a.logged_in_s), "mono"));
      tr.appendChild(cell(duration(a.not_ready_s), "mono"));
      tr.appendChild(cell(String(a.not_ready_count)));
      abody.appendChild(tr);
    });
  }
  /* the action form: the agent list follows the table, keeping the choice (the phone rung is the user's own) */
  var form = document.getElementById("floor-action");
  function fillAgents(agents) {
    if (!form) { return; }
    var select = document.getElementById("floor-action-agent"), chosen = select.value;
    select.textContent = "";
    agents.forEach(function (a) {
      var option = document.createElement("option");
      option.value = a.agent_id;
      option.textContent = a.employee_no + " " + a.name + " · " + a.state_label;
      select.appendChild(option);
    });
    if (chosen) { select.value = chosen; }
  }
  if (form) {
    form.addEventListener("submit", function () {
      var agent = document.getElementById("floor-action-agent").value;
      var parts = document.getElementById("floor-action-kind").value.split(":");
      var url = form.getAttribute(parts[0] === "state" ? "data-state-url" : "data-supervise-url");
      form.action = url.replace("/0/", "/" + agent + "/");
      form.querySelector("input[name=command]").value = parts[0] === "state" ? parts[1] : "";
      form.querySelector("input[name=mode]").value = parts[0] === "supervise" ? parts[1] : "";
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (data) { draw(data); fillAgents(data.agents); status.textContent = ""; agentsTable.setAttribute("data-updated", data.server_time); })
      .catch(function () { status.textContent = status.getAttribute("data-error"); })
      .then(function () { window.setTimeout(poll, interval); });
  }
  poll();
})();
