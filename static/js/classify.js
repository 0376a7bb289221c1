// 参考分类: send what is typed on 附件1 to the server and show the likely class, category and precedents.
(function () {
  "use strict";
  var panel = document.getElementById("classify-panel");
  if (!panel) { return; }
  var button = document.getElementById("classify-button");
  var result = document.getElementById("classify-result");
  var form = document.getElementById("project-form");
  var token = form.querySelector("input[name=csrf_token]");
  var words = panel.dataset;  // the page's language: labels come from the template, translated

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }
  function value(name) {
    var field = form.elements[name];
    if (!field) { return ""; }
    if (field.length && field[0] && field[0].type === "radio") {
      for (var i = 0; i < field.length; i++) { if (field[i].checked) { return field[i].value; } }
      return "";
    }
    return field.value || "";
  }
  function percent(p) { return Math.round(p * 100) + "%"; }

  function show(data) {
    result.innerHTML = "";
    var classes = text("div", words.textClass);
    data.device_class.forEach(function (c) { classes.appendChild(text("span", c.name + " " + percent(c.p), "badge text-bg-light me-1")); });
    result.appendChild(classes);
    var cats = text("div", words.textCategory, "mt-1");
    var list = document.createElement("ul");
    list.className = "mb-1";
    data.category.forEach(function (c) { list.appendChild(text("li", c.code + " " + c.name + "（" + percent(c.p) + "）")); });
    cats.appendChild(list);
    result.appendChild(cats);
    if (data.similar.length) {
      var similar = text("div", words.textSimilar);
      var items = document.createElement("ul");
      items.className = "mb-0";
      data.similar.forEach(function (d) {
        items.appendChild(text("li", d.product_name + " — " + d.class_name + (d.code ? "，" + d.code : "") + (d.year ? "（" + d.year + "）" : "")));
      });
      similar.appendChild(items);
      result.appendChild(similar);
    }
  }

  button.addEventListener("click", function () {
    var payload = {};
    ["name", "structure", "principle", "intended_use", "clinical_prospects", "project_type"].forEach(function (n) { payload[n] = value(n); });
    button.disabled = true;
    result.innerHTML = "";
    result.appendChild(text("span", words.textLoading, "text-muted"));
    fetch(panel.dataset.url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (r) {
      if (!r.ok) { throw new Error(r.data.error || words.textError); }
      show(r.data);
    }).catch(function (error) {
      result.innerHTML = "";
      result.appendChild(text("span", error.message || words.textError, "text-danger"));
    }).then(function () { button.disabled = false; });
  });
})();
