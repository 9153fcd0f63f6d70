// Progressive enhancements only: every page works without JavaScript.
(function () {
  "use strict";
  document.documentElement.className += " js";
  // Phones: the main navigation folds behind a "Menu" button (shown by the CSS only
  // when this script runs; without it the navigation stays unfolded).
  var toggle = document.querySelector(".menu-toggle");
  var top = document.querySelector("header.top");
  if (toggle && top) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = top.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Wide tables scroll sideways inside their own box, never the page; a box that
  // scrolls can be reached with the keyboard and is named after its table.
  var boxes = [];
  Array.prototype.forEach.call(document.querySelectorAll("main table"), function (table) {
    if (table.parentNode.classList && table.parentNode.classList.contains("table-scroll")) { return; }
    var box = document.createElement("div");
    box.className = "table-scroll";
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
    boxes.push(box);
  });
  function name(box) {
    var caption = box.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    var el = box.previousElementSibling;
    while (el && !/^H[1-6]$/.test(el.tagName)) { el = el.previousElementSibling; }
    return el ? el.textContent.trim() : document.title;
  }
  function focusable() {
    boxes.forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name(box));
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  focusable();
  window.addEventListener("resize", focusable);
  // Live quorum indicator on a session page: refresh the attendance block every 10 s.
  var live = document.querySelector("[data-live-url]");
  if (live && window.fetch) {
    setInterval(function () {
      fetch(live.getAttribute("data-live-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { return; }
          var out = live.querySelector("[data-quorum]");
          if (!out) { return; }
          out.textContent = s.present_voting + " / " + s.quorum_required;
          out.className = "quorum " + (s.quorum_met ? "met" : "unmet");
          // The words beside the figures say whether the quorum is met (not colour alone).
          var met = live.querySelector("[data-quorum-met]");
          var unmet = live.querySelector("[data-quorum-unmet]");
          if (met && unmet) { met.hidden = !s.quorum_met; unmet.hidden = !!s.quorum_met; }
        })
        .catch(function () {});
    }, 10000);
  }
  // A refused form: move the focus to the summary of its errors (the page scrolls to it).
  var summary = document.querySelector(".error-summary h2[tabindex]");
  if (summary) { summary.focus(); }
  // Confirm irreversible actions (adoption, closure, decisions).
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); }
  });
}());
