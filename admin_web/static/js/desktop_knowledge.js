/* The knowledge base on the agent desktop (templates/knowledge/_desktop_panel.html): when the call changes
   (desktop.js's "desktop:call" event), the articles meant for its queue and IVR choices; a search box; and 纠错
   on any article, sent with the current call. Links open the article in a new tab, carrying the call too. */
(function () {
  "use strict";
  var panel = document.getElementById("knowledge-panel");
  if (!panel) { return; }
  var WORDS = JSON.parse(document.getElementById("knowledge-words").textContent);
  var SUGGEST = panel.getAttribute("data-suggestions-url");
  var SEARCH = panel.getAttribute("data-search-url");
  var CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var $ = function (id) { return document.getElementById(id); };
  var callUuid = null, seen = false, asked = 0;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k] == null ? "" : values[k]; });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      });
  }

  function articleUrl(article) {
    return article.url + (callUuid ? "?call=" + encodeURIComponent(callUuid) : "");
  }

  function flagForm(article, item) {
    var form = document.createElement("form");
    form.className = "kb-flag-form";
    var area = document.createElement("textarea");
    area.rows = 2; area.maxLength = 2000; area.placeholder = WORDS.flag_prompt;
    area.setAttribute("aria-label", WORDS.flag_prompt);
    var send = document.createElement("button");
    send.type = "submit"; send.textContent = WORDS.send;
    var cancel = document.createElement("button");
    cancel.type = "button"; cancel.textContent = WORDS.cancel;
    var note = document.createElement("span");
    note.className = "muted kb-flag-note";
    form.appendChild(area); form.appendChild(send); form.appendChild(cancel); form.appendChild(note);
    cancel.addEventListener("click", function () { form.remove(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = area.value.trim();
      if (!problem) { note.textContent = WORDS.need_problem; area.focus(); return; }
      send.disabled = true;
      fetch(article.flag_url, {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": CSRF },
        body: JSON.stringify({ problem: problem, call_uuid: callUuid || "" })
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (answer) {
        if (!answer.ok) { throw new Error(answer.body.error || ""); }
        var done = document.createElement("p");
        done.className = "kb-flag-done";
        done.textContent = answer.body.message || WORDS.flagged;
        form.replaceWith(done);
      }).catch(function (error) {
        send.disabled = false;
        note.textContent = error.message || WORDS.failed;
      });
    });
    item.appendChild(form);
    area.focus();
  }

  function render(list, articles) {
    list.textContent = "";
    articles.forEach(function (article) {
      var item = document.createElement("li");
      item.setAttribute("data-article", article.id);
      var link = document.createElement("a");
      link.href = articleUrl(article); link.target = "_blank"; link.rel = "noopener";
      link.className = "kb-title"; link.textContent = article.title;
      item.appendChild(link);
      if (article.category) {
        var where = document.createElement("span");
        where.className = "muted kb-path"; where.textContent = " " + article.category;
        item.appendChild(where);
      }
      var snippet = document.createElement("p");
      snippet.className = "kb-snippet"; snippet.textContent = article.snippet;
      item.appendChild(snippet);
      var flag = document.createElement("button");
      flag.type = "button"; flag.className = "small link-button kb-flag-btn"; flag.textContent = WORDS.flag;
      flag.addEventListener("click", function () {
        if (!item.querySelector(".kb-flag-form")) { flagForm(article, item); }
      });
      item.appendChild(flag);
      list.appendChild(item);
    });
  }

  function suggest(call) {
    var list = $("kb-suggestions"), note = $("kb-suggestions-note");
    var ticket = ++asked;
    list.textContent = "";
    if (!call) {
      $("kb-suggestions-title").textContent = WORDS.for_any_call;
      note.textContent = WORDS.no_call; note.hidden = false;
      return;
    }
    $("kb-suggestions-title").textContent = call.queue_name || call.queue ?
      fmt(WORDS.for_call, { queue: call.queue_name || call.queue }) : WORDS.for_any_call;
    note.textContent = WORDS.loading; note.hidden = false;
    var params = new URLSearchParams();
    if (call.queue) { params.set("queue", call.queue); }
    if (call.ivr_path) { params.set("ivr", call.ivr_path); }
    if (call.flow) { params.set("flow", call.flow); }
    getJson(SUGGEST + "?" + params.toString()).then(function (body) {
      if (ticket !== asked) { return; }
      render(list, body.articles);
      note.textContent = WORDS.none_for_call; note.hidden = body.articles.length > 0;
    }).catch(function () {
      if (ticket === asked) { note.textContent = WORDS.failed; note.hidden = false; }
    });
  }

  $("kb-search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = $("kb-search-q").value.trim(), list = $("kb-results"), note = $("kb-results-note");
    if (!q) { list.textContent = ""; note.hidden = true; return; }
    note.textContent = WORDS.loading; note.hidden = false;
    getJson(SEARCH + "?q=" + encodeURIComponent(q)).then(function (body) {
      render(list, body.articles);
      note.textContent = body.articles.length ? WORDS.results : WORDS.nothing_found;
      note.hidden = false;
    }).catch(function () { note.textContent = WORDS.failed; note.hidden = false; });
  });

  document.addEventListener("desktop:call", function (event) {
    var call = event.detail && event.detail.call;
    var uuid = call ? call.uuid : null;
    if (seen && uuid === callUuid) { return; }
    var previous = callUuid;
    seen = true; callUuid = uuid;
    suggest(call);
    // search results stay, but their links now carry the new call
    if (previous !== uuid) {
      Array.prototype.forEach.call($("kb-results").querySelectorAll("a.kb-title"), function (link) {
        link.href = link.href.split("?")[0] + (uuid ? "?call=" + encodeURIComponent(uuid) : "");
      });
    }
  });
})();
