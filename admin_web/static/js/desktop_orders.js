/* The desktop's work-order panel: when a call pops, the caller's earlier orders; a link that registers an order
   from this call (its number, region, IVR data and recording are taken over by the server). */
(function () {
  "use strict";
  var panel = document.getElementById("orders-panel");
  if (!panel) { return; }
  var list = document.getElementById("orders-history"), link = document.getElementById("orders-new");
  var shown = null;

  function item(text, cls) {
    var li = document.createElement("li");
    if (cls) { li.className = cls; }
    li.textContent = text;
    return li;
  }

  function show(call) {
    var key = call ? call.uuid : "";
    if (key === shown) { return; }
    shown = key;
    var params = new URLSearchParams();
    if (call) {
      params.set("call", call.uuid);
      if (call.caller) { params.set("number", call.caller); }
    }
    link.href = panel.getAttribute("data-new-url") + (call ? "?" + params.toString() : "");
    list.replaceChildren(item(list.getAttribute(call ? "data-empty" : "data-idle"), "muted"));
    if (!call || !call.caller) { return; }
    fetch(panel.getAttribute("data-history-url") + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || shown !== key || !data.orders.length) { return; }
        list.replaceChildren();
        data.orders.forEach(function (o) {
          var li = document.createElement("li"), a = document.createElement("a");
          a.href = o.url; a.target = "_blank"; a.textContent = o.number;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" " + o.type + " · " + o.title + " · " + o.state));
          list.appendChild(li);
        });
      })
      .catch(function () { /* the history is a courtesy: the call goes on without it */ });
  }

  document.addEventListener("desktop:call", function (e) { show(e.detail.call); });
})();
