// 推进会议: "select all" buttons on the invitation page.
document.querySelectorAll("[data-check-all]").forEach(function (button) {
  button.addEventListener("click", function () {
    document.querySelectorAll('input[name="' + button.dataset.checkAll + '"]').forEach(function (box) { box.checked = true; });
  });
});
