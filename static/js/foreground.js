// The foreground generation page (BACKGROUND_GENERATION=off). The page is
// streamed while the documents are written, so this script is loaded
// inside it, not deferred: deferred scripts run only once the page has
// finished loading, which here is when the generation ends. It warns before
// leaving a run in progress (leaving stops it and loses the documents),
// gives the page its final heading when the run ends, and says so when the
// connection to the server is lost.
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
    if (text) {
      heading.textContent = text;
      // The tab's title said "Generating · <project>": it says the end too.
      var at = document.title.indexOf(" · ");
      if (at >= 0) document.title = text + document.title.slice(at);
    }
    var lede = document.querySelector('[data-testid="fg-lede"]');
    if (lede) lede.textContent = "These documents are shown on this page only and were not saved: download the ones you keep.";
    return true;
  }

  // The watchdog. While a document is written the server writes a beat (a
  // comment) every data-heartbeat-ms. A server that is killed, or a network
  // that drops, ends neither the page's load nor the stream in Chromium:
  // silence is the only sign. After MISSED beats without a byte, the page
  // says that the connection was lost (and no longer warns before leaving),
  // but keeps listening: a network that comes back (a Wi-Fi roam, a VPN
  // reconnecting) brings the stream back, the line goes and the run goes
  // on. After ABORT beats of silence the page gives up the load, which
  // closes the request, so that a server still there after all stops the
  // run rather than write to nobody.
  var MISSED = 4;
  var ABORT = 15;
  var root = document.querySelector('[data-testid="foreground-page"]');
  var beat = parseInt(root ? root.getAttribute("data-heartbeat-ms") : "", 10);
  var lastSeen = Date.now();
  var lastCheck = lastSeen;
  var watchdog = null;
  var lostLine = null; // the "connection lost" status line while it shows
  var lostAt = 0;
  var final = false; // the load has ended: the stream cannot come back
  var before = null; // the heading and lede it replaced

  // heard reads what the stream added: only nodes in the results, where
  // the stream writes, count (the page's own changes, such as the heading,
  // the lost line or a toast, are not the server's bytes).
  function heard(records) {
    var results = document.querySelector('[data-testid="fg-results"]');
    for (var i = 0; i < records.length; i++) {
      var added = records[i].addedNodes;
      for (var j = 0; j < added.length; j++) {
        var n = added[j];
        if (!results || !results.contains(n) || (lostLine && (n === lostLine || lostLine.contains(n)))) continue;
        lastSeen = Date.now();
        if (n.nodeType === Node.COMMENT_NODE && n.data === "beat" && n.parentNode) n.parentNode.removeChild(n);
      }
    }
    if (lostLine && !final && lastSeen > lostAt) recovered();
  }

  function check() {
    var now = Date.now();
    // A timer this late means the page itself was asleep (a throttled tab,
    // a suspended laptop): judge the stream from now on, not from then.
    if (now - lastCheck > 2 * beat) lastSeen = now;
    lastCheck = now;
    if (lostLine) {
      if (now - lastSeen > ABORT * beat) giveUp();
      return;
    }
    if (!running()) {
      clearInterval(watchdog);
      return;
    }
    if (now - lastSeen > MISSED * beat) lost();
  }

  function text(testid) {
    var el = document.querySelector('[data-testid="' + testid + '"]');
    return el ? el.textContent : null;
  }

  function restore(testid, value) {
    var el = document.querySelector('[data-testid="' + testid + '"]');
    if (el && value !== null) el.textContent = value;
  }

  function lost() {
    if (lostLine) return;
    var template = document.querySelector("template[data-fg-lost]");
    var results = document.querySelector('[data-testid="fg-results"]');
    if (!template || !results) return;
    before = { heading: text("fg-heading"), lede: text("fg-lede"), title: document.title };
    var line = template.content.cloneNode(true);
    lostLine = line.firstElementChild;
    lostAt = Date.now();
    results.appendChild(line);
    settle();
  }

  // The stream came back: the run goes on as before.
  function recovered() {
    if (lostLine.parentNode) lostLine.parentNode.removeChild(lostLine);
    lostLine = null;
    restore("fg-heading", before.heading);
    restore("fg-lede", before.lede);
    document.title = before.title;
    settle(); // the server may have ended the run meanwhile
  }

  function giveUp() {
    final = true;
    clearInterval(watchdog);
    if (observer) observer.disconnect();
    if (window.stop) window.stop();
  }

  // The load ended (the stream closed) without the run's last step: the
  // connection was cut, for good.
  function loadEnded() {
    if (settle() || !running()) return;
    lost();
    giveUp();
  }

  var observer = null;
  if (!window.MutationObserver) return;
  observer = new MutationObserver(function (records) {
    heard(records);
    if (lostLine) return; // the page's own line ends nothing
    if (settle()) {
      observer.disconnect();
      clearInterval(watchdog);
    }
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", loadEnded);
  if (beat > 0) watchdog = setInterval(check, beat);
})();
