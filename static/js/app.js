// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Confirm destructive buttons.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // Loading state: a submitted form shows it is working and cannot be sent twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // GET forms filter or download: the page may never unload, so their buttons stay usable.
    if (event.defaultPrevented || (form.method || "get").toLowerCase() === "get") { return; }
    form.dataset.submitting = "1";
    var clicked = event.submitter;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = true;
        if (b === clicked) {
          b.insertAdjacentHTML("afterbegin", '<span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>');
        }
      });
    }, 0);
    // The clicked button's name must still reach the server, so keep it as a hidden field.
    if (clicked && clicked.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = clicked.name; hidden.value = clicked.value || "1";
      form.appendChild(hidden);
    }
  });
  // Filters and pagination: show the list is loading.
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".facet-link[href], .pagination a");
    if (link) {
      var list = document.querySelector("[aria-live]");
      if (list) { list.classList.add("is-loading"); list.setAttribute("aria-busy", "true"); }
    }
  });
  // Arriving at a page counts as reading it: send the page's arrival forms (notifications, a thread's messages).
  // GET requests never write, so the page asks for this itself once it is shown.
  document.querySelectorAll("form[data-arrival]").forEach(function (arrival) {
    window.fetch(arrival.action, {method: "POST", body: new FormData(arrival), credentials: "same-origin",
                                  keepalive: true, headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var badge = document.querySelector("#nav-notifications .badge");
        if (!data || typeof data.unread !== "number" || !badge) { return; }
        if (data.unread > 0) { badge.textContent = String(data.unread); } else { badge.remove(); }
      })
      .catch(function () { /* the next visit tries again */ });
  });
  // A step indicator wider than the screen scrolls: bring the current step into view.
  document.querySelectorAll(".step-indicator").forEach(function (list) {
    var current = list.querySelector(".step.current");
    if (!current || list.scrollWidth <= list.clientWidth) { return; }
    var offset = current.getBoundingClientRect().left - list.getBoundingClientRect().left;
    list.scrollLeft += offset - (list.clientWidth - current.offsetWidth) / 2;
  });
  // Warn before leaving a long form with unsaved typing.
  var form = document.querySelector("form[data-confirm-leave]");
  if (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    window.addEventListener("beforeunload", function (event) {
      // project_form.js sets data-unsaved="0" once autosave has kept everything typed
      if (dirty && !form.dataset.submitting && form.dataset.unsaved !== "0") { event.preventDefault(); event.returnValue = ""; }
    });
  }
})();
