/* Every console page: ask /system/status every 2 s and show its alerts (no active engine, switch not connected)
   in the banner at the top, within seconds of the fault; hidden again when all is well. */
(function () {
  "use strict";
  var banner = document.getElementById("system-alert");
  if (!banner || !window.fetch) { return; }
  var url = banner.getAttribute("data-status-url"), every = 2000;

  function show(alerts) {
    banner.textContent = "";
    alerts.forEach(function (a) {
      var line = document.createElement("div");
      line.setAttribute("data-alert-kind", a.kind);
      line.textContent = a.message;
      banner.appendChild(line);
    });
    banner.hidden = alerts.length === 0;
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) { show(d.alerts || []); } })
      .catch(function () { show([{kind: "console", message: banner.getAttribute("data-unreachable")}]); })
      .then(function () { window.setTimeout(poll, every); });
  }
  poll();
}());
