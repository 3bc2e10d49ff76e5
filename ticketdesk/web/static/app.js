// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  function setUpBulkSelection() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var all = document.getElementById("select-all");
    var rows = Array.prototype.slice.call(form.querySelectorAll(".row-check"));
    var count = document.getElementById("bulk-count");

    function refresh() {
      var chosen = rows.filter(function (box) { return box.checked; }).length;
      if (count) {
        count.textContent = chosen
          ? chosen + (chosen === 1 ? " ticket selected" : " tickets selected")
          : "Select tickets to change several at once.";
      }
      if (all) {
        all.checked = chosen > 0 && chosen === rows.length;
        all.indeterminate = chosen > 0 && chosen < rows.length;
      }
      rows.forEach(function (box) {
        var row = box.closest("tr");
        if (row) row.classList.toggle("is-selected", box.checked);
      });
    }

    if (all && rows.length) {
      all.hidden = false;
      all.addEventListener("change", function () {
        rows.forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    rows.forEach(function (box) { box.addEventListener("change", refresh); });
    refresh();
  }

  function setUpShortcuts() {
    // "/" jumps to the first filter of a ticket list, unless the user is typing in a field.
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "/") {
        var filter = document.querySelector(".filters select");
        if (filter) { event.preventDefault(); filter.focus(); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpBulkSelection();
    setUpShortcuts();
  });
})();
