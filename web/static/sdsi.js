// Progressive enhancements only: every page works without JavaScript.
(function () {
  "use strict";
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
