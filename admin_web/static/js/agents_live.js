/* Agents page: poll state.json and update each row's state, reason and time in state without reloading.
   Between polls the time-in-state counters tick locally every second. */
(function () {
  "use strict";
  var table = document.getElementById("agents-table");
  if (!table) { return; }
  var url = table.getAttribute("data-state-url");
  var interval = parseInt(table.getAttribute("data-poll-ms"), 10) || 2000;
  var status = document.getElementById("live-status");
  var STATES = ["logged_out", "ready", "not_ready", "reserved", "talking", "on_hold", "wrap_up"];

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function setTime(cell, seconds) {
    cell.setAttribute("data-seconds", String(seconds));
    cell.textContent = duration(seconds);
  }

  function apply(agent) {
    var row = table.querySelector('tr[data-agent-id="' + agent.id + '"]');
    if (!row) { return; }
    var badge = row.querySelector('[data-field="state"]');
    STATES.forEach(function (s) { badge.classList.remove("state-" + s); });
    badge.classList.add("state-" + agent.state);
    badge.setAttribute("data-state", agent.state);
    badge.textContent = agent.state_label;
    row.querySelector('[data-field="reason"]').textContent = agent.reason_label || "";
    setTime(row.querySelector('[data-field="time"]'), agent.seconds_in_state);
    var note = row.querySelector('[data-field="request"]');
    if (note) {
      var r = agent.request;
      // translated on the server (admin_web.labels): the action and reason by name, the engine's refusal in words
      note.textContent = r ? r.action_label + " (" + r.actor + "): " + r.result_label : "";
      note.classList.toggle("refused", !!(r && r.result.indexOf("refused") === 0));
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        data.agents.forEach(apply);
        status.textContent = "";
        table.setAttribute("data-updated", data.server_time);
      })
      .catch(function () { status.textContent = status.getAttribute("data-error"); })
      .then(function () { window.setTimeout(poll, interval); });
  }

  window.setInterval(function () {
    table.querySelectorAll('[data-field="time"]').forEach(function (cell) {
      setTime(cell, parseInt(cell.getAttribute("data-seconds"), 10) + 1);
    });
  }, 1000);
  window.setTimeout(poll, interval);
})();
