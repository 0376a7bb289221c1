/* The review page (review part): "再加一项" adds another per-field comment row to the return form. */
(function () {
  "use strict";
  var box = document.getElementById("field-comments");
  var add = document.getElementById("add-field-comment");
  if (!box || !add) { return; }
  var max = parseInt(box.getAttribute("data-max"), 10) || 30;
  add.hidden = false;
  add.addEventListener("click", function () {
    var rows = box.querySelectorAll(".field-comment-row");
    if (rows.length >= max) { add.hidden = true; return; }
    var last = rows[rows.length - 1];
    var index = rows.length;
    var copy = last.cloneNode(true);
    copy.querySelectorAll("[id],[name],[for]").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/field_comments-\d+-/, "field_comments-" + index + "-")); }
      });
    });
    copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; el.classList.remove("is-invalid"); });
    copy.querySelectorAll("textarea").forEach(function (el) { el.value = ""; el.classList.remove("is-invalid"); });
    copy.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    last.parentNode.insertBefore(copy, add);
    copy.querySelector("select").focus();
    if (index + 1 >= max) { add.hidden = true; }
  });
}());
