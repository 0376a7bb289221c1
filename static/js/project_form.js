// 附件1 (templates/projects/form.html): the sections' progress, the error summary's links, the 其他 city's text,
// and autosave of the draft. Without this file the page still works: the section links are anchors, the
// summary's links jump to their fields, and 保存草稿 saves.
(function () {
  "use strict";
  var form = document.getElementById("project-form");
  if (!form) { return; }
  var nav = document.getElementById("form-nav");
  var SKIP = {csrf_token: true, submission_key: true};

  function valueOf(name) {
    var el = form.elements[name];
    if (!el) { return ""; }
    if (el.nodeType === 1 && el.type === "checkbox") { return el.checked; }
    return el.value || "";  // a radio group's RadioNodeList gives the checked value, or ""
  }
  function filled(name) {
    var value = valueOf(name);
    if (name === "city" && value === "other") { return String(valueOf("city_other")).trim() !== ""; }
    return value === true || (typeof value === "string" && value.trim() !== "");
  }

  // 其他 city: the name's field shows, and is required, only when 其他 is chosen.
  var city = form.elements.city;
  var cityOther = document.getElementById("city-other-wrap");
  function showCityOther() {
    if (!city || !cityOther || city.nodeType !== 1) { return; }
    var other = city.value === "other";
    cityOther.hidden = !other;
    var label = cityOther.querySelector("label");
    if (label) { label.classList.toggle("required", other); }
  }
  if (city && city.nodeType === 1) { city.addEventListener("change", showCityOther); showCityOther(); }

  // Section navigation: which parts are complete, as the clinician types.
  function updateNav() {
    if (!nav) { return; }
    var words = nav.dataset, done = 0, total = 0;
    nav.querySelectorAll("a[data-section]").forEach(function (link) {
      var section = document.getElementById(link.dataset.section);
      var required = (link.dataset.required || "").split(" ").filter(Boolean);
      var state;
      if (section && section.querySelector(".form-field:not(.edited) .is-invalid")) { state = "error"; }
      else if (!required.length) { state = "optional"; }
      else { state = required.every(filled) ? "done" : "todo"; }
      if (required.length) { total += 1; if (state === "done") { done += 1; } }
      link.className = "form-nav-link is-" + state;
      var text = link.querySelector(".form-nav-state");
      if (text) { text.textContent = words["text" + state.charAt(0).toUpperCase() + state.slice(1)] || ""; }
    });
    var progress = document.getElementById("form-progress");
    if (progress && progress.dataset.template) {
      progress.textContent = progress.dataset.template.replace("{done}", done).replace("{total}", total);
    }
    var bar = document.getElementById("form-progress-bar");
    if (bar) { bar.max = total || 1; bar.value = done; }
  }

  function markEdited(event) {
    var block = event.target.closest && event.target.closest(".form-field");
    if (block) { block.classList.add("edited"); }
  }

  // The error summary after a refused submit: focus lands on it; each link focuses its field.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      var details = target.closest("details");
      if (details) { details.open = true; }  // a closed part opens first
      target.scrollIntoView({block: "center"});
      target.focus({preventScroll: true});
    });
  }

  // Autosave: a few seconds after typing stops (at most every 15 s while typing on), one request at a time.
  var url = form.dataset.autosaveUrl;
  var status = document.getElementById("autosave-status");
  var token = form.querySelector("input[name=csrf_token]");
  var key = form.querySelector("input[name=submission_key]");
  var timer = null, firstChange = 0, inFlight = false, again = false, lastSent = null;

  function snapshot() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name;
      if (!name || SKIP[name] || el.disabled || ["submit", "button", "file", "reset"].indexOf(el.type) >= 0) { return; }
      if (el.type === "radio") {
        if (!(name in fields)) { fields[name] = ""; }
        if (el.checked) { fields[name] = el.value; }
      } else if (el.type === "checkbox") {
        fields[name] = el.checked;
      } else {
        fields[name] = el.value;
      }
    });
    return JSON.stringify({submission_key: key ? key.value : "", fields: fields});
  }

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    timer = null;
    if (!url) { return; }
    if (inFlight) { again = true; return; }
    var body = snapshot();
    if (body === lastSent) { firstChange = 0; form.dataset.unsaved = "0"; return; }
    inFlight = true;
    form.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: body.length < 60000,
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": token ? token.value : ""},
      body: body
    }).then(function (response) {
      return response.json().then(function (data) { return {status: response.status, data: data}; },
                                  function () { return {status: response.status, data: {}}; });
    }).then(function (result) {
      var data = result.data || {};
      if (result.status === 200 && data.ok) {
        lastSent = body;
        firstChange = 0;
        if (snapshot() === body) { form.dataset.unsaved = "0"; }
        say(data.message);
        if (data.autosave_url && data.autosave_url !== url) {  // a new project is now a draft: its own address
          url = data.autosave_url;
          form.dataset.autosaveUrl = url;
          form.action = data.edit_url;
          if (window.history && history.replaceState) { history.replaceState(null, "", data.edit_url); }
        }
      } else {
        say(data.error || form.dataset.textFailed);
        if (result.status === 409 || result.status === 404 || result.status === 403) { url = ""; }  // no retrying
      }
    }).catch(function () {
      say(form.dataset.textFailed);
    }).then(function () {
      inFlight = false;
      form.removeAttribute("aria-busy");
      if (again) { again = false; schedule(); }
    });
  }

  function schedule() {
    if (!url) { return; }
    var now = Date.now();
    if (!firstChange) { firstChange = now; }
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, Math.max(0, Math.min(3000, 15000 - (now - firstChange))));
  }

  function changed(event) {
    markEdited(event);
    updateNav();
    form.dataset.unsaved = "1";
    schedule();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { if (timer) { clearTimeout(timer); timer = null; } url = ""; });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && timer) { clearTimeout(timer); save(); }
  });
  updateNav();
})();
