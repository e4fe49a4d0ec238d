// Behaviour of ordinary forms without inline handlers (the Content-Security-Policy allows this site's scripts only):
//   <form data-confirm="Delete?">           asks before submitting
//   <select data-autosubmit>                 submits its form when changed
//   <input type="checkbox" data-select-all="input[name=ids]:not([disabled])">  (un)checks those boxes
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var box = event.target;
    if (box instanceof HTMLInputElement && box.dataset.selectAll) {
      document.querySelectorAll(box.dataset.selectAll).forEach(function (c) { c.checked = box.checked; });
    }
  });
})();
