// citrusadmin: the little behaviour htmx does not cover. No inline scripts (CSP).
(function () {
  "use strict";

  // A barcode scanner types a code into whatever has focus, then presses Enter. So the search
  // box is where focus lives on the product pages: after each search and after each stock-out
  // or restore it has focus with its text selected, and the next scan replaces the last code.
  function searchBox() {
    return document.querySelector("form[role=search] input[type=search]");
  }

  function selectSearchBox(force) {
    var box = searchBox();
    var active = document.activeElement;
    if (box && (force || active === box || active === null || active === document.body)) {
      box.focus();
      box.select();
    }
  }

  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () { selectSearchBox(false); });

  // On a phone the main nav folds into a Menu button (without JavaScript it stays open).
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".menu-toggle");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.target;
    if (!target || !target.id) return;
    if (target.id === "results") selectSearchBox(false);
    // A stock toggle replaced its own row: the button that was pressed is gone, and the next
    // scan must not land on the new one (its Enter would undo what was just done).
    if (target.id.indexOf("product-") === 0) selectSearchBox(true);
  });

  // Typing while a button, checkbox or link has focus (a scan after a mouse click) goes to the
  // search box instead, so a scanner's Enter can never press a row button. Space is left alone:
  // it is how a keyboard user presses the focused button, and no barcode contains one.
  function typesText(event) {
    return event.key.length === 1 && event.key !== " " && !event.ctrlKey && !event.metaKey &&
      !event.altKey;
  }

  function takesText(element) {
    if (!element) return false;
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
    if (element.tagName !== "INPUT") return false;
    return ["checkbox", "radio", "button", "submit", "reset", "file", "image"].indexOf(element.type) === -1;
  }

  document.addEventListener("keydown", function (event) {
    var box = searchBox();
    if (!box || !typesText(event) || takesText(document.activeElement)) return;
    event.preventDefault();
    box.focus();
    box.select();
    box.setRangeText(event.key, box.selectionStart, box.selectionEnd, "end");
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }, true);

  // A feed's form shows the settings of the kind of source its URL names (sftp://, s3://, a
  // path…) and hides the others, disabled so that nothing typed in them is sent. Without
  // JavaScript every setting shows, each saying which sources take it.
  function sourceScheme(url) {
    url = url.trim();
    if (url.indexOf("/") === 0 || url.toLowerCase().indexOf("file://") === 0) return "file";
    var match = /^([a-z][a-z0-9+.-]*):/i.exec(url);
    return match ? match[1].toLowerCase() : "";
  }

  function showSourceFields(input) {
    var scheme = sourceScheme(input.value);
    input.form.querySelectorAll("[data-schemes]").forEach(function (box) {
      var applies = box.getAttribute("data-schemes").split(" ").indexOf(scheme) !== -1;
      box.hidden = !applies;
      box.querySelectorAll("input, textarea, select").forEach(function (field) {
        field.disabled = !applies;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-source-url]").forEach(showSourceFields);
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-source-url]")) {
      showSourceFields(event.target);
    }
  });

  // "Select all on this page" for the bulk stock checkboxes.
  document.addEventListener("change", function (event) {
    var toggle = event.target;
    if (!toggle.matches || !toggle.matches("input[data-select-all]")) return;
    var name = toggle.getAttribute("data-select-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = toggle.checked;
    });
  });
})();
