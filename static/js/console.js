// citrusadmin: the little behaviour htmx does not cover. No inline scripts (CSP).
(function () {
  "use strict";

  // Scanner-friendly search: after each search the box keeps focus with its text selected, so
  // the next scan replaces the last GTIN instead of appending to it.
  function selectSearchBox() {
    var box = document.querySelector("form[role=search] input[type=search]");
    var active = document.activeElement;
    if (box && (active === box || active === null || active === document.body)) {
      box.focus();
      box.select();
    }
  }

  document.addEventListener("DOMContentLoaded", selectSearchBox);
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.target;
    if (!target) return;
    if (target.id === "results") selectSearchBox();
    // A stock toggle replaces its own row: put keyboard focus back on the row's new button, so
    // a keyboard or screen-reader user is not thrown back to the top of the page.
    if (target.id && target.id.indexOf("product-") === 0 && document.activeElement === document.body) {
      var button = target.querySelector("form button");
      if (button) button.focus();
    }
  });

  // "Select all on this page" for the bulk stock-out checkboxes.
  document.addEventListener("change", function (event) {
    var toggle = event.target;
    if (!toggle.matches || !toggle.matches("input[data-select-all]")) return;
    var name = toggle.getAttribute("data-select-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = toggle.checked;
    });
  });
})();
