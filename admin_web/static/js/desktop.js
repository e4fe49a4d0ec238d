/* Agent desktop: everything goes through the CTI API (/api/v1): fetch for actions and reads, EventSource for
   live state. Each request is listed with the engine's answer (ok / refused: why). */
(function () {
  "use strict";
  var root = document.getElementById("desktop");
  if (!root) { return; }
  var API = root.getAttribute("data-api");
  var WORDS = JSON.parse(document.getElementById("desktop-words").textContent);
  var CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var STATES = ["logged_out", "ready", "not_ready", "reserved", "talking", "on_hold", "wrap_up"];
  var HISTORY_KEY = "callcenter.desktop.dialHistory";
  var clockSkew = 0, sinceMs = null, current = null, directory = null;
  var $ = function (id) { return document.getElementById(id); };

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k] == null ? "" : values[k]; });
  }
  function duration(seconds) {
    if (seconds == null) { return "–"; }
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }
  function clock(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso), pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  function text(id, value) { $(id).textContent = value == null || value === "" ? "–" : value; }

  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "Accept": "application/json", "X-Requested-With": "fetch" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = CSRF;
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  /* ---- request log: every action and the engine's answer ---- */
  function logEntry(label) {
    var li = document.createElement("li");
    li.className = "pending";
    li.innerHTML = '<span class="what"></span> <span class="time muted"></span> — <span class="answer"></span>';
    li.querySelector(".what").textContent = label;
    li.querySelector(".time").textContent = clock(new Date().toISOString());
    li.querySelector(".answer").textContent = WORDS.sent;
    var log = $("request-log");
    log.insertBefore(li, log.firstChild);
    return li;
  }
  function showAnswer(li, request) {
    li.setAttribute("data-request-id", request.id);
    li.setAttribute("data-status", request.status);
    li.className = request.status;
    li.querySelector(".answer").textContent = request.status === "pending" ? WORDS.pending :
      request.status === "ok" ? WORDS.ok : WORDS.refused + "：" + (request.message_label || request.message);
  }
  /* The answer comes on the event stream ("request"); asking for it is the fallback, seldom while the stream is
     up (every 3 s), often while it is down (300 ms), and stops as soon as the stream told the answer. */
  function follow(li, id, started) {
    if (li.getAttribute("data-status") && li.getAttribute("data-status") !== "pending") { return; }
    api("GET", "/requests/" + id).then(function (r) {
      if (!r.ok) { return; }
      if (li.getAttribute("data-status") !== "pending" && r.data.status === "pending") { return; }
      showAnswer(li, r.data);
      if (r.data.status === "pending") {
        if (Date.now() - started < 15000) {
          window.setTimeout(function () { follow(li, id, started); }, streamUp ? 3000 : 300);
        } else { li.querySelector(".answer").textContent = WORDS.no_answer; }
      } else { refreshToday(); refreshMe(); }
    });
  }
  function send(label, path, body) {
    var li = logEntry(label);
    return api("POST", path, body).then(function (r) {
      if (r.status === 202) {
        showAnswer(li, r.data.request);
        follow(li, r.data.request.id, Date.now());
      } else {
        li.className = "failed";
        var fields = r.data.fields ? Object.keys(r.data.fields).map(function (k) { return r.data.fields[k]; }) : [];
        li.querySelector(".answer").textContent = WORDS.failed + ": " + (r.data.error || r.status) +
          (fields.length ? " (" + fields.join("; ") + ")" : "");
      }
      return r;
    }).catch(function () { li.className = "failed"; li.querySelector(".answer").textContent = WORDS.failed; });
  }

  /* ---- state and call ---- */
  function render(me) {
    current = me;
    clockSkew = Date.now() - Date.parse(me.server_time);
    sinceMs = Date.parse(me.since);
    var badge = $("state-badge");
    STATES.forEach(function (s) { badge.classList.remove("state-" + s); });
    badge.classList.add("state-" + me.state);
    badge.setAttribute("data-state", me.state);
    badge.textContent = me.state_label;
    $("state-reason").textContent = me.reason_label || "";
    $("agent-name").textContent = me.agent.name;
    $("agent-no").textContent = me.agent.employee_no;
    $("agent-ext").textContent = me.agent.extension;
    $("signed-time").textContent = me.logged_in_at ? fmt(WORDS.signed_in_at, { time: clock(me.logged_in_at) }) :
      me.logged_out_at ? fmt(WORDS.signed_out_at, { time: clock(me.logged_out_at) }) : "";
    tick();
    var out = me.state === "logged_out", busy = ["reserved", "talking", "on_hold"].indexOf(me.state) >= 0;
    $("btn-login").disabled = !out;
    $("btn-ready").disabled = out || busy || me.state === "ready";
    $("btn-not-ready").disabled = out || busy;
    $("btn-extend").disabled = me.state !== "wrap_up";
    $("btn-logout").disabled = out || busy;
    $("btn-answer").disabled = me.state !== "reserved";
    $("btn-hangup").disabled = !(me.state === "talking" || me.state === "on_hold");
    $("btn-hold").disabled = me.state !== "talking";
    $("btn-unhold").disabled = me.state !== "on_hold";
    $("btn-transfer").disabled = $("btn-consult").disabled = !(me.state === "talking" || me.state === "on_hold");
    $("btn-wrapup").disabled = ["talking", "on_hold", "wrap_up"].indexOf(me.state) < 0;
    $("btn-dial").disabled = $("btn-redial").disabled = !(me.state === "ready" || me.state === "not_ready");
    renderCall(me.call, me.state);
    // the desktop's other panels (work orders, knowledge base) follow the call through this one event
    document.dispatchEvent(new CustomEvent("desktop:call", { detail: { call: me.call || null, state: me.state } }));
  }

  function renderCall(call, state) {
    var card = $("call-card");
    card.classList.toggle("ringing", !!call && state === "reserved");
    card.classList.toggle("active", !!call && (state === "talking" || state === "on_hold"));
    card.setAttribute("data-call", call ? call.uuid : "");
    $("call-facts").hidden = !call;
    $("call-hold").hidden = !(call && state === "on_hold");       // the caller stays shown while held
    var note = $("call-transfer-note");
    if (!call) {
      $("call-title").textContent = WORDS.no_call; note.hidden = true; $("call-consulted-by").hidden = true;
      renderConsult(null, state); return;
    }
    $("call-title").textContent = call.direction === "outbound" ? WORDS.outbound : WORDS.inbound;
    text("call-caller", call.number || call.caller || WORDS.unknown);
    text("call-region", call.region);
    text("call-dnis", call.dnis);
    text("call-queue", call.queue ? (call.queue_name ? call.queue_name + " (" + call.queue + ")" : call.queue) : null);
    text("call-wait", call.wait_s == null ? null : duration(call.wait_s));
    text("call-ivr", call.ivr_path);
    var data = call.ivr_data || {};
    text("call-data", Object.keys(data).map(function (k) { return k + ": " + data[k]; }).join("；"));
    var consultedBy = $("call-consulted-by");
    consultedBy.hidden = !call.consulted_by;
    consultedBy.textContent = call.consulted_by ? fmt(WORDS.consulted_by, { who: call.consulted_by }) : "";
    renderConsult(call.consult, state);
    var from = call.transferred_from;
    note.hidden = !from;
    if (from) {
      note.textContent = fmt(WORDS.transferred_by, { who: (from.name || "") + " " + (from.employee_no || "") }) +
        (from.note ? "\n" + WORDS.note + ": " + from.note : "");
    }
  }

  function renderConsult(consult, state) {
    var bar = $("consult-bar"), busy = state === "talking" || state === "on_hold";
    bar.hidden = !(consult && busy);
    if (bar.hidden) { return; }
    var who = (consult.target || "").replace(/^[a-z]+:/, "");
    $("consult-title").textContent = fmt(consult.conference ? WORDS.in_conference : WORDS.consulting, { who: who });
    $("btn-consult-transfer").disabled = $("btn-conference").disabled = !!consult.conference;
    $("btn-consult-cancel").disabled = !!consult.conference;
  }

  function tick() {
    if (sinceMs == null) { return; }
    $("state-time").textContent = duration((Date.now() - clockSkew - sinceMs) / 1000);
  }
  window.setInterval(tick, 1000);

  function refreshMe() { return api("GET", "/me").then(function (r) { if (r.ok) { render(r.data); } }); }
  function refreshToday() {
    return api("GET", "/me/calls/today").then(function (r) {
      if (!r.ok) { return; }
      document.querySelectorAll("[data-today]").forEach(function (cell) {
        var v = r.data[cell.getAttribute("data-today")];
        cell.textContent = cell.hasAttribute("data-duration") ? duration(v) : (v == null ? "–" : v);
      });
    });
  }

  /* ---- live updates over SSE (EventSource reconnects by itself; `bye` ends a stream on purpose) ---- */
  var streamUp = false;
  function connect() {
    var source = new EventSource(API + "/events");
    var live = $("live");
    source.addEventListener("open", function () {
      streamUp = true; live.textContent = WORDS.connected; live.classList.remove("down");
    });
    source.addEventListener("state", function (e) {
      var previous = current && current.state;
      render(JSON.parse(e.data));
      if (previous && previous !== current.state) { refreshToday(); }
    });
    source.addEventListener("request", function (e) {
      var request = JSON.parse(e.data);
      var li = document.querySelector('#request-log li[data-request-id="' + request.id + '"]');
      if (li) {
        var wasPending = li.getAttribute("data-status") === "pending";
        showAnswer(li, request);
        if (wasPending && request.status !== "pending") { refreshToday(); refreshMe(); }
      }
    });
    source.addEventListener("bye", function () { source.close(); window.setTimeout(connect, 200); });
    source.addEventListener("error", function () {
      streamUp = false; live.textContent = WORDS.reconnecting; live.classList.add("down");
    });
  }

  /* ---- buttons ---- */
  document.querySelectorAll("[data-state-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.getAttribute("data-state-action"), body = { action: action };
      if (action === "not_ready") {
        body.reason = $("reason").value;
        if (!body.reason) { $("reason").focus(); logEntry(button.textContent).querySelector(".answer").textContent = WORDS.need_reason; return; }
      }
      if (action === "logout" && !window.confirm(WORDS.confirm_logout)) { return; }
      var label = button.textContent + (body.reason ? " · " + $("reason").selectedOptions[0].textContent : "");
      send(label, "/me/state", body);
    });
  });
  document.querySelectorAll("[data-call-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.getAttribute("data-call-action"), body = {};
      if (action === "consult_transfer" && $("transfer-note").value.trim()) { body.note = $("transfer-note").value.trim(); }
      send(button.textContent, "/me/call/" + action, body).then(function (r) {
        if (action === "consult_transfer" && r && r.status === 202) { $("transfer-note").value = ""; }
      });
    });
  });

  function fillTargets() {
    var kind = $("transfer-kind").value, select = $("transfer-target");
    select.hidden = kind === "number";
    $("transfer-number").hidden = kind !== "number";
    select.innerHTML = "";
    if (!directory || kind === "number") { return; }
    var items = kind === "queue" ? directory.queues.map(function (q) { return [q.code, q.name + " (" + q.code + ")"]; }) :
      kind === "agent" ? directory.agents.map(function (a) {
        return [a.employee_no, a.employee_no + " " + a.name + " · " + a.state_label]; }) :
      directory.flows.map(function (f) { return [f, f]; });
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item[0];
      option.textContent = item[1];
      select.appendChild(option);
    });
  }
  function loadDirectory() {
    return api("GET", "/directory").then(function (r) { if (r.ok) { directory = r.data; fillTargets(); } });
  }
  $("transfer-kind").addEventListener("change", function () { loadDirectory(); });
  $("transfer-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var kind = $("transfer-kind").value;
    var target = kind === "number" ? $("transfer-number").value.trim() : $("transfer-target").value;
    if (!target) { logEntry($("btn-transfer").textContent).querySelector(".answer").textContent = WORDS.need_target; return; }
    var body = { argument: kind + ":" + target, note: $("transfer-note").value.trim() };
    send($("btn-transfer").textContent + " → " + body.argument, "/me/call/transfer", body).then(function (r) {
      if (r && r.status === 202) { $("transfer-note").value = ""; }
    });
  });

  $("btn-consult").addEventListener("click", function () {
    var kind = $("transfer-kind").value;
    if (kind === "flow") { logEntry($("btn-consult").textContent).querySelector(".answer").textContent = WORDS.no_consult_flow; return; }
    var target = kind === "number" ? $("transfer-number").value.trim() : $("transfer-target").value;
    if (!target) { logEntry($("btn-consult").textContent).querySelector(".answer").textContent = WORDS.need_target; return; }
    send($("btn-consult").textContent + " → " + kind + ":" + target, "/me/call/consult", { argument: kind + ":" + target })
      .then(function () { refreshMe(); });
  });

  /* ---- dialling with history in localStorage ---- */
  function history() {
    try { return JSON.parse(window.localStorage.getItem(HISTORY_KEY)) || []; } catch (err) { return []; }
  }
  function renderHistory() {
    var list = $("dial-history"), items = history();
    list.innerHTML = "";
    if (!items.length) { var empty = document.createElement("li"); empty.className = "muted"; empty.textContent = WORDS.no_history; list.appendChild(empty); }
    items.forEach(function (item) {
      var li = document.createElement("li"), button = document.createElement("button");
      button.type = "button";
      button.className = "small link-number";
      button.textContent = item.number;
      button.addEventListener("click", function () { $("dial-number").value = item.number; $("dial-number").focus(); });
      li.appendChild(button);
      li.appendChild(document.createTextNode(" " + clock(item.at)));
      list.appendChild(li);
    });
  }
  function dial(number) {
    if (!/^[0-9]{1,32}$/.test(number)) { logEntry($("btn-dial").textContent).querySelector(".answer").textContent = WORDS.need_number; return; }
    var items = history().filter(function (item) { return item.number !== number; });
    items.unshift({ number: number, at: new Date().toISOString() });
    window.localStorage.setItem(HISTORY_KEY, JSON.stringify(items.slice(0, 20)));
    renderHistory();
    send($("btn-dial").textContent + " " + number, "/me/call/dial", { argument: "number:" + number });
  }
  $("dial-form").addEventListener("submit", function (e) { e.preventDefault(); dial($("dial-number").value.trim()); });
  $("btn-redial").addEventListener("click", function () {
    var last = history()[0];
    if (last) { dial(last.number); } else { logEntry($("btn-redial").textContent).querySelector(".answer").textContent = WORDS.no_history; }
  });

  renderHistory();
  refreshMe().then(function () { connect(); });
  loadDirectory();
  refreshToday();
  window.setInterval(refreshToday, 60000);
  $("wrapup-form").addEventListener("submit", function (event) {
    event.preventDefault();
    api("POST", "/me/wrapup", { disposition: $("wrapup-disposition").value, summary: $("wrapup-summary").value })
      .then(function (r) {
        $("wrapup-saved").textContent = r.ok ? "✓" : ((r.data && r.data.error) || ("HTTP " + r.status));
      })
      .catch(function (err) { $("wrapup-saved").textContent = String(err && err.message || err); });
  });
})();
