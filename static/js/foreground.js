// The foreground generation page (BACKGROUND_GENERATION=off). The page is
// streamed while the documents are written, so this script is loaded
// inside it, not deferred: deferred scripts run only once the page has
// finished loading, which here is when the generation ends. It warns before
// leaving a run in progress (leaving stops it and loses the documents), and
// gives the page its final heading when the run ends.
(function () {
  "use strict";

  function lastStep() {
    var steps = document.querySelectorAll('[data-testid="fg-step"]');
    return steps.length ? steps[steps.length - 1] : null;
  }

  function running() {
    var s = lastStep();
    return !s || s.getAttribute("data-kind") === "working";
  }

  window.addEventListener("beforeunload", function (e) {
    if (!running()) return;
    e.preventDefault();
    e.returnValue = "";
  });

  function settle() {
    var s = lastStep();
    var heading = document.querySelector('[data-testid="fg-heading"]');
    if (!s || !heading || running()) return false;
    var text = s.getAttribute("data-heading");
    if (text) heading.textContent = text;
    var lede = document.querySelector('[data-testid="fg-lede"]');
    if (lede) lede.textContent = "These documents are shown on this page only and were not saved: download the ones you keep.";
    return true;
  }

  if (!window.MutationObserver) return;
  var observer = new MutationObserver(function () {
    if (settle()) observer.disconnect();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", settle);
})();
