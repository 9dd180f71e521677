// Dossier page glue: the sync protocol's client side, announcements (toasts
// and browser notifications), the connection indicator, the document title,
// the generate form's dependencies, small click actions, and a few htmx
// settings. The pages carry no inline script or event-handler attributes
// (the Content-Security-Policy forbids them): behaviour is delegated from
// here.
//
// One SSE connection per tab is opened by htmx (sse-connect on <body>); this
// script never opens another. It wraps htmx.createEventSource to count the
// connections (a test hook) and to hear the events that have no element to
// swap: "sync" (the position the tab has reached), "shown" (another tab
// has shown an announcement), "unshown" (after a resync, every
// announcement still unshown) and "unshown-older" (how many more there are
// than a resync lists). Everything the page shows of a job arrives
// from the server as whole fragments; this script keeps no state timers.
(function () {
  "use strict";

  if (!window.htmx) return;

  // ---- htmx -------------------------------------------------------------------
  // Swap validation errors (422) and conflicts (409): the server answers them
  // with a fragment that says what is wrong. Other errors keep htmx's default
  // (no swap) and get a toast.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true, error: false },
    { code: "409", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];

  // Settle at once. htmx registers the sse-swap listener of swapped-in
  // content when it settles (20 ms later by default); an event arriving in
  // between finds only the old, detached element, and is lost. A card
  // replaced by the Cancel response just before the stream's "Cancelled"
  // would then stay "Stopping…" for good.
  htmx.config.defaultSettleDelay = 0;

  // ---- Test hooks -----------------------------------------------------------------
  window.__dossierNotifications = [];
  window.__dossierEventSources = 0;

  // sources are the connections not known to be closed (a closed one is
  // let go when the next opens, or when the page is left); latest is the
  // last one opened, closed or not.
  var sources = [], latest = null;
  function notClosed(s) { return s.readyState !== EventSource.CLOSED; }
  var createEventSource = htmx.createEventSource || function (url) {
    return new EventSource(url, { withCredentials: true });
  };
  htmx.createEventSource = function (url) {
    var source = createEventSource(url);
    window.__dossierEventSources++;
    sources = sources.filter(notClosed);
    sources.push(source);
    latest = source;
    source.addEventListener("sync", onSync);
    source.addEventListener("shown", onShown);
    source.addEventListener("unshown", onUnshown);
    source.addEventListener("unshown-older", onUnshownOlder);
    var mark = titleMark();
    if (mark) source.addEventListener("projectname-" + mark.getAttribute("data-title-project"), onTitleName);
    var elsewhere = document.querySelector("[data-saved-elsewhere]");
    if (elsewhere) source.addEventListener("fingerprint-" + elsewhere.getAttribute("data-saved-elsewhere"), onFingerprint);
    return source;
  };
  // __dossierOpenEventSources counts the connections not closed.
  Object.defineProperty(window, "__dossierOpenEventSources", {
    get: function () { return sources.filter(notClosed).length; },
  });

  // ---- Sync position ----------------------------------------------------------------
  // Each batch of the stream ends with a "sync" event whose id is the position
  // the tab has reached. The browser resends it as Last-Event-ID when it
  // reconnects by itself, but htmx's own reconnect (after the server answered
  // with an error, say while it restarts) builds a new EventSource from the
  // sse-connect attribute, without it: so the attribute carries the position.
  window.__dossierPosition = 0;
  window.__dossierSynced = false; // a test hook: the first batch has arrived
  function onSync(event) {
    var pos = parseInt(event.lastEventId || event.data, 10);
    if (!(pos >= 0)) return;
    window.__dossierPosition = pos;
    window.__dossierSynced = true;
    var body = document.body;
    var url = body.getAttribute("sse-connect");
    if (!url) return;
    var u = new URL(url, window.location.href);
    u.searchParams.set("since", String(pos));
    body.setAttribute("sse-connect", u.pathname + u.search);
    init();
  }

  // ---- Connection indicator -------------------------------------------------------
  // Two seconds without the stream, the page says it is reconnecting and
  // stops showing estimates it can no longer keep true; once the stream is
  // back, the server's replay brings every region up to date.
  var downTimer = null;
  window.__dossierOffline = false;
  function setOffline(off) {
    window.__dossierOffline = off;
    var el = document.getElementById("connection");
    if (el) {
      el.classList.toggle("hidden", !off);
      el.classList.toggle("flex", off);
    }
    document.querySelectorAll('[data-testid="job-eta"]').forEach(function (e) { e.hidden = off; });
  }
  function streamDown() {
    if (downTimer) return;
    downTimer = setTimeout(function () { setOffline(true); }, 2000);
  }
  function streamUp() {
    clearTimeout(downTimer);
    downTimer = null;
    if (window.__dossierOffline) setOffline(false);
  }
  document.addEventListener("htmx:sseOpen", streamUp);
  document.addEventListener("htmx:sseError", streamDown);

  // A stream the server refused (closed, not dropped) may mean the session
  // has ended: logged out in another tab, or expired. /events then answers
  // 401 for good, and htmx would retry it for ever under "Reconnecting…".
  // Ask a cheap authenticated endpoint: on 401 the page goes to the login
  // page, which brings the user back here. A page with unsaved edits stays
  // (leaving would lose them) and says so; logging in again in another tab
  // lets its stream, still retried, come back.
  var checkingSession = false, toldSessionEnded = false;
  function checkSession() {
    if (checkingSession || !window.fetch) return;
    checkingSession = true;
    fetch("/api/document-types", { credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status !== 401 && r.type !== "opaqueredirect") return;
        if (hasUnsavedEdits()) {
          tellSessionEnded();
          return;
        }
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      })
      .catch(function () {}) // the server is down: htmx keeps retrying
      .then(function () { checkingSession = false; });
  }
  function tellSessionEnded() {
    sessionLost = true;
    if (toldSessionEnded) return;
    toldSessionEnded = true;
    errorToast("Your session has ended. Log in again in another tab to save your changes; this page keeps them.");
  }
  // A stream that opens again has a session again: an ending after it is
  // told again, and the page takes the new session's CSRF token.
  document.addEventListener("htmx:sseOpen", function () {
    toldSessionEnded = false;
    if (sessionLost) refreshCSRF();
  });

  // A page kept across the end of its session holds the ended session's
  // CSRF token, in its forms' _csrf fields and in the body's hx-headers:
  // once the user has logged in again (another tab), a save would be
  // refused as a forged request, and the text the page kept for it lost.
  // The page asks for the new session's token (GET /session/csrf) when its
  // stream comes back, and again before a form posts if it has not got it
  // yet. Without a session the form stays and says so. It answers true (a
  // session, its token taken), false (no session: the ask was sent to the
  // log-in page) or null (no answer: the server is unreachable).
  var sessionLost = false, refreshing = null;
  function refreshCSRF() {
    if (refreshing) return refreshing;
    refreshing = fetch("/session/csrf", { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (r) {
        if (r.status !== 200) return false;
        return r.text().then(function (token) {
          if (!token) return false;
          document.querySelectorAll('input[name="_csrf"]').forEach(function (i) { i.value = token; });
          var body = document.body, headers = body.getAttribute("hx-headers");
          if (headers) {
            try {
              var h = JSON.parse(headers);
              h["X-CSRF-Token"] = token;
              body.setAttribute("hx-headers", JSON.stringify(h));
            } catch (e) { /* not ours to mend */ }
          }
          sessionLost = false;
          return true;
        });
      })
      .catch(function () { return null; })
      .then(function (ok) { refreshing = null; return ok; });
    return refreshing;
  }
  //
  // A guarded form (the document editor, the project form) asks before
  // every save, session lost or not: a session ended in another tab a
  // moment ago (before the stream noticed) would send the POST to the
  // log-in page, and the text typed here would be gone after it. Without a
  // session the page stays, with its text, and says so.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || (form.getAttribute("method") || "").toLowerCase() !== "post" || form.__csrfRetry) return;
    var guarded = form.matches && form.matches("form[data-unsaved-guard]");
    if (!sessionLost && !guarded) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    if (form.__checkingSession) return; // a second press while asking
    form.__checkingSession = true;
    var submitter = e.submitter || null;
    var lost = sessionLost;
    refreshCSRF().then(function (ok) {
      form.__checkingSession = false;
      // No answer: the server is unreachable. A page that knew its session
      // lost says so; otherwise the save goes ahead as it would have.
      if (ok === false || (ok === null && lost)) {
        toldSessionEnded = false;
        tellSessionEnded();
        return;
      }
      form.__csrfRetry = true;
      if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
      form.__csrfRetry = false;
    });
  }, true);

  // An htmx request refused for want of a session (the editor's live
  // preview, a card's Cancel) comes back 401 with HX-Redirect to the log-in
  // page, which htmx follows at once. A page with unsaved edits does not:
  // leaving would lose them, as checkSession says. It stays and says so.
  document.addEventListener("htmx:beforeOnLoad", function (e) {
    var xhr = e.detail && e.detail.xhr;
    if (!xhr || xhr.status !== 401 || !hasUnsavedEdits()) return;
    e.preventDefault();
    tellSessionEnded();
  });
  document.addEventListener("htmx:sseError", function (e) {
    var source = e.detail && e.detail.source;
    if (source && source.readyState === EventSource.CLOSED) checkSession();
  });

  // The page holds edits not saved yet: a textarea or a text field of a
  // form that posts differs from what the page was rendered with, a
  // guarded form differs from its snapshot, or a form is marked data-dirty
  // (the server rendered it again with the user's unsaved input: a
  // refused save).
  function hasUnsavedEdits() {
    if (document.querySelector("form[data-dirty]")) return true;
    if (guardedChanged()) return true;
    var fields = document.querySelectorAll('form[method="post"] textarea, form[method="post"] input:not([type]), form[method="post"] input[type="text"], form[method="post"] input[type="email"], form[method="post"] input[type="url"], form[method="post"] input[type="number"], form[method="post"] input[type="date"]');
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) return true;
    }
    return false;
  }

  // ---- Unsaved-changes guard --------------------------------------------------------
  // A form marked data-unsaved-guard (the document editor, the project
  // form) asks before the page is left (a link, Cancel, a reload, closing
  // the tab) while it holds unsaved edits. What it holds is compared with a
  // snapshot taken when it came into the page, so that rows removed, a
  // select or a date changed count too. Submitting the form lifts the
  // guard: the save leaves the page; a refused save comes back as a new
  // page, its form marked data-dirty.
  function formState(form) {
    var parts = [];
    new FormData(form).forEach(function (v, k) {
      if (k !== "_csrf" && typeof v === "string") parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
    });
    return parts.join("&");
  }
  function snapshotGuarded() {
    document.querySelectorAll("form[data-unsaved-guard]").forEach(function (form) {
      if (form.__savedState === undefined) form.__savedState = formState(form);
    });
  }
  // A field differs from what the page was rendered with (which catches
  // what the browser restored into the form before the snapshot was taken).
  function fieldChanged(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") {
      for (var i = 0; i < el.options.length; i++) if (el.options[i].selected !== el.options[i].defaultSelected) return true;
      return false;
    }
    if (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type !== "hidden" && el.type !== "file")) return el.value !== el.defaultValue;
    return false;
  }
  function formChanged(f) {
    if (f.hasAttribute("data-dirty") || (f.__savedState !== undefined && formState(f) !== f.__savedState)) return true;
    for (var j = 0; j < f.elements.length; j++) if (fieldChanged(f.elements[j])) return true;
    return false;
  }
  function guardedChanged() {
    var forms = document.querySelectorAll("form[data-unsaved-guard]");
    for (var i = 0; i < forms.length; i++) if (formChanged(forms[i])) return true;
    return false;
  }
  // An htmx request marked data-confirm-replace (the new-project form's
  // "Start from an example project") swaps a guarded form for another:
  // what the user typed there would be gone as surely as by leaving the
  // page, so it asks the same way first, and only then. A form holding
  // nothing typed is replaced without a question.
  document.addEventListener("htmx:confirm", function (e) {
    var d = e.detail, elt = d && d.elt;
    var question = elt && elt.getAttribute && elt.getAttribute("data-confirm-replace");
    if (!question) return;
    var form = d.target && d.target.matches && d.target.matches("form[data-unsaved-guard]") ? d.target : null;
    if (!form || !formChanged(form)) return;
    e.preventDefault();
    if (window.confirm(question)) d.issueRequest(true);
  });
  var submitting = false;
  document.addEventListener("submit", function (e) {
    if (e.target.matches && e.target.matches("form[data-unsaved-guard]")) submitting = true;
  });
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("beforeunload", function (e) {
    if (submitting || !guardedChanged()) return;
    e.preventDefault();
    e.returnValue = ""; // older Chromium asks only when returnValue is set
  });

  // A page left for another must let go of its stream at once. Otherwise the
  // browser may keep the old page (back/forward cache) with its connection
  // open, and after a few navigations every connection the origin gets over
  // HTTP/1.1 (six) is held by a hidden page: the app hangs.
  //
  // A page restored from that cache is kept as it was (an editor's unsaved
  // text, a form that answered a POST: a reload would lose the one and post
  // the other again), and its stream is opened again: the stream that
  // pagehide closed is handed to htmx-ext-sse's own error path, which
  // builds a new one from the sse-connect attribute (whose since=P brings
  // whatever changed meanwhile) and listens again for every sse-swap. A
  // stream that was already closed by an error when the page was left has
  // its reconnect pending (the timer resumes with the page): it is left to
  // it, so that the page never gets two.
  var closedByPagehide = null;
  window.addEventListener("pagehide", function () {
    closedByPagehide = latest && notClosed(latest) ? latest : null;
    sources.forEach(function (s) { s.close(); });
    sources = [];
  });
  window.addEventListener("pageshow", function (e) {
    var s = closedByPagehide;
    closedByPagehide = null;
    if (!e.persisted || !s || s !== latest || typeof s.onerror !== "function") return;
    s.onerror(new Event("error"));
  });

  // ---- Browser notifications ------------------------------------------------------
  function notificationsSupported() {
    return "Notification" in window;
  }

  // One browser Notification per announcement across all tabs. The first
  // tab to take the announcement's Web Lock raises it and keeps the lock
  // for as long as its page lives: a tab that asks meanwhile skips. A tab
  // that asks later finds the mark left in localStorage. (The mark alone
  // is not enough: Chromium shows one tab's localStorage writes to another
  // only after a moment, so two tabs could both find no mark.)
  function notifyOnce(data) {
    if (!notificationsSupported() || Notification.permission !== "granted") return;
    var key = "dossier-notified-" + data.id;
    var show = function () {
      try {
        if (window.localStorage.getItem(key)) return;
        window.localStorage.setItem(key, String(Date.now()));
      } catch (e) {
        // No storage: the per-job tag still collapses repeats.
      }
      try {
        var n = new Notification(data.title, { body: data.body, tag: data.tag });
        var hook = { title: data.title, body: data.body, tag: data.tag, url: data.url };
        Object.defineProperty(hook, "notification", { value: n }); // for tests to click
        window.__dossierNotifications.push(hook);
        // A click opens the job in this tab, unless the tab holds edits
        // not saved yet (an editor's text): then in a new one.
        n.onclick = function () {
          if (data.url && hasUnsavedEdits()) {
            window.open(data.url, "_blank", "noopener");
          } else {
            window.focus();
            if (data.url) window.location.assign(data.url);
          }
          n.close();
        };
      } catch (e) {
        // Some platforms allow notifications only from a service worker.
      }
    };
    if (navigator.locks && navigator.locks.request) {
      navigator.locks.request(key, { ifAvailable: true }, function (lock) {
        if (!lock) return;
        show();
        return new Promise(function () {}); // held until the page goes
      });
    } else {
      show();
    }
  }

  // Marks of notifications shown more than a day ago are forgotten.
  var MARK_MS = 864e5;
  function pruneMarks() {
    try {
      var ls = window.localStorage;
      for (var i = ls.length - 1; i >= 0; i--) {
        var k = ls.key(i);
        if (k && k.indexOf("dossier-notified-") === 0 && Date.now() - parseInt(ls.getItem(k), 10) > MARK_MS) ls.removeItem(k);
      }
    } catch (e) {}
  }

  function renderNotificationButtons() {
    document.querySelectorAll("[data-enable-notifications]").forEach(function (btn) {
      if (!notificationsSupported()) {
        btn.hidden = true;
        return;
      }
      var p = Notification.permission;
      btn.disabled = p !== "default";
      btn.setAttribute("aria-disabled", p !== "default" ? "true" : "false");
      btn.textContent = p === "granted" ? "Notifications enabled"
        : p === "denied" ? "Notifications blocked in the browser" : "Enable notifications";
      btn.classList.toggle("text-ink-400", p !== "default");
    });
  }

  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-enable-notifications]");
    if (!btn || !notificationsSupported()) return;
    Promise.resolve(Notification.requestPermission()).then(renderNotificationButtons);
  });

  // ---- Small actions --------------------------------------------------------------
  // Delegated here rather than written as hx-on or onclick attributes: the
  // Content-Security-Policy runs no inline script.
  document.addEventListener("click", function (e) {
    var copy = e.target.closest("[data-copy-from]");
    if (copy) {
      var src = document.getElementById(copy.getAttribute("data-copy-from"));
      if (src && navigator.clipboard) {
        navigator.clipboard.writeText(src.value).then(function () { copy.textContent = "Copied"; });
      }
      return;
    }
    var remove = e.target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest("[data-row]");
      if (!row) return;
      // The focus goes on to the next row's first field, else to the
      // section's Add button: removed with its row, it fell to the top of
      // the page, and a keyboard user lost their place.
      var next = row.nextElementSibling;
      while (next && !next.matches("[data-row]")) next = next.nextElementSibling;
      var section = row.parentElement && row.parentElement.closest("section");
      row.remove();
      var to = next ? firstField(next) : section && section.querySelector("[data-add-row]");
      if (to) to.focus();
    }
  });
  function firstField(row) {
    return row.querySelector("input:not([type=hidden]), select, textarea, button");
  }
  // An Add button's new row (swapped in at the end of its list) takes the
  // focus in its first field: the user types on in it, and a screen reader
  // announces the field. Left on the button, the row appeared above it
  // unannounced.
  document.addEventListener("htmx:afterSwap", function (e) {
    var d = e.detail || {};
    var elt = d.requestConfig && d.requestConfig.elt, list = d.target;
    if (!elt || !elt.matches || !elt.matches("[data-add-row]") || !list || !list.querySelectorAll) return;
    var rows = list.querySelectorAll("[data-row]");
    var field = rows.length ? firstField(rows[rows.length - 1]) : null;
    if (field) field.focus();
  });

  // ---- Menus and forms (docs) -----------------------------------------------------
  // A <details data-menu> closes on Escape (focus back on its summary) and
  // on a click outside it.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary && menu.contains(document.activeElement)) summary.focus();
    });
  });
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!menu.contains(e.target)) menu.open = false;
    });
  });
  // ...and when the keyboard's focus leaves it (Tab past its last item):
  // left open, it covered what the focus went to. Focus going nowhere (the
  // window losing it, a click on no control) leaves it to the click rule.
  document.addEventListener("focusout", function (e) {
    var menu = e.target.closest && e.target.closest("details[data-menu][open]");
    var to = e.relatedTarget;
    if (menu && to && !menu.contains(to)) menu.open = false;
  });

  // After a failed submit the page comes back with the form's errors: put
  // focus on them (the error summary, else the first invalid field, else
  // the form's error message), not on the top of the page.
  function focusFormErrors(root) {
    var target = root.querySelector('[data-testid="form-errors"]') ||
      root.querySelector('[role="alert"][tabindex="-1"]') ||
      root.querySelector('form [aria-invalid="true"]') ||
      root.querySelector('form [role="alert"]');
    if (!target) return;
    if (!target.matches("input, select, textarea, button, a[href]")) target.setAttribute("tabindex", "-1");
    target.focus();
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    var xhr = e.detail && e.detail.xhr;
    if (!xhr || (xhr.status !== 422 && xhr.status !== 409) || !e.detail.target) return;
    // An outerHTML swap leaves the target detached: look in the page.
    focusFormErrors(e.detail.target.isConnected ? e.detail.target : document.getElementById("main") || document.body);
  });

  // What the page shows was deleted meanwhile (the stream's "gone" notice,
  // kept in view at the top): its actions can only fail now, so they are
  // disabled, and what was typed stays on the page to copy.
  function isGone() {
    return !!document.querySelector('#gone [data-testid="gone-notice"]');
  }
  function markGone() {
    var main = document.getElementById("main");
    if (!main || !isGone()) return;
    main.querySelectorAll("form button, form input[type=submit]").forEach(function (b) {
      if (b.closest("#gone")) return;
      b.disabled = true;
    });
    main.querySelectorAll("a.btn").forEach(function (a) {
      if (a.closest("#gone")) return;
      a.setAttribute("aria-disabled", "true");
      a.setAttribute("tabindex", "-1");
      a.removeAttribute("href");
    });
  }
  document.addEventListener("htmx:sseMessage", markGone);

  // The editor's preview is not a live region (it would read the whole
  // document out after every pause in typing). Its status line says so
  // once per editing session, at the first update: said after every pause,
  // it interrupted the person typing each time, to tell them what they had
  // just done. The form rendered again (a refused save) is a new session.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "edit-preview") return;
    var status = document.getElementById("edit-preview-status");
    if (!status || status.dataset.announced) return;
    status.dataset.announced = "1";
    // Set a moment after the swap, so that it is not lost among the swap's
    // own mutations.
    setTimeout(function () { status.textContent = "Preview updated. It follows your typing from now on, without saying so again."; }, 100);
  });

  // ---- Toasts ---------------------------------------------------------------------
  var TOAST_MS = 6000;

  function dismiss(toast) {
    if (!toast || !toast.parentNode) return;
    toast.__dismissing = true;
    toast.style.transition = "opacity 150ms ease-out";
    toast.style.opacity = "0";
    setTimeout(function () { toast.remove(); }, 160);
  }

  // Auto-dismiss after TOAST_MS, paused while hovered or focused.
  function arm(toast) {
    if (toast.__armed) return;
    toast.__armed = true;
    var timer = null;
    var start = function () { clearTimeout(timer); timer = setTimeout(function () { dismiss(toast); }, TOAST_MS); };
    var stop = function () { clearTimeout(timer); };
    toast.addEventListener("mouseenter", stop);
    toast.addEventListener("mouseleave", start);
    toast.addEventListener("focusin", stop);
    toast.addEventListener("focusout", start);
    start();
  }

  // Toasts auto-dismiss; announcements once a visible tab has shown them,
  // and so does the count of older ones (data-arm-when-shown).
  function armAll(root) {
    (root || document).querySelectorAll("[data-toast]:not([data-announce]):not([data-arm-when-shown])").forEach(arm);
    localiseTimes();
    announceAll();
  }

  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-dismiss-toast]");
    if (btn) dismiss(btn.closest("[data-toast]"));
  });

  // An announcement already on the page (rendered with it, or sent by a
  // replay) is not added twice.
  document.addEventListener("htmx:sseBeforeMessage", function (e) {
    var msg = e.detail;
    if (!msg || !e.target || e.target.id !== "toasts") return;
    var m = /id="([^"]+)"/.exec(msg.data || "");
    if (m && document.getElementById(m[1])) e.preventDefault();
  });

  // ---- Announcements --------------------------------------------------------------
  // A toast with data-announce is a notification no tab has shown yet. The
  // tab raises the browser Notification (once across tabs), and once the
  // toast has been painted in the page while it is visible, arms it and
  // acknowledges it to the server, which tells the other tabs (the "shown"
  // event) to drop theirs. Until a visible tab acknowledges it, the
  // notification stays unshown: the next page announces it again, so a page
  // left too early loses nothing.
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  // keepalive: a request the page sends just before it is left still
  // reaches the server.
  function post(path) {
    return fetch(path, { method: "POST", credentials: "same-origin", keepalive: true, headers: { "X-CSRF-Token": csrf() } });
  }

  function acknowledge(id) {
    post("/notifications/" + encodeURIComponent(id) + "/shown").catch(function () {});
  }

  // What this tab has shown, across its pages (sessionStorage is per tab).
  // A page rendered before the previous page's acknowledgement reached the
  // server lists the announcement again; this tab does not show it twice.
  function shownHere(id) {
    try { return !!window.sessionStorage.getItem("dossier-shown-" + id); } catch (e) { return false; }
  }
  function markShownHere(id) {
    try { window.sessionStorage.setItem("dossier-shown-" + id, "1"); } catch (e) {}
  }

  function announce(toast) {
    if (toast.__announced) return;
    toast.__announced = true;
    var id = toast.getAttribute("data-announce");
    if (shownHere(id)) {
      toast.remove();
      acknowledge(id); // again, in case the first one was lost
      return;
    }
    // An announcement older than the marks' lifetime may have raised its
    // browser Notification already, its mark since forgotten: the toast
    // alone shows it.
    var created = parseInt(toast.getAttribute("data-created"), 10);
    if (!(created > 0 && Date.now() - created > MARK_MS)) notifyOnce({
      id: id, tag: toast.getAttribute("data-tag"), title: toast.getAttribute("data-title"),
      body: toast.getAttribute("data-body"), url: toast.getAttribute("data-url"),
    });
    toast.__pending = true;
    whenPainted(toast);
  }

  // A toast is shown once it has been painted in a page the user can see:
  // two animation frames after it was added (the first paints it), while
  // the page is visible and not being left. A hidden page gets no
  // animation frames; it keeps the toast pending until it is visible
  // again.
  //
  // A page being left acknowledges nothing, from the moment the navigation
  // starts (beforeunload) to its pagehide: the next page announces again
  // what it did not acknowledge. Chromium commits the next page before the
  // old one's pagehide has run (hundreds of milliseconds later on a loaded
  // machine), and until then the old page, no longer on screen, still says
  // it is "visible" with its stream open (and may still get a frame that
  // was under way). A navigation that leaves the page in place (a download,
  // a 204, one the user stopped) lets it acknowledge again LEAVE_MS later:
  // a page still there by then is the one on screen.
  var LEAVE_MS = 3000;
  var leaving = false, left = false, resumeTimer = null;
  window.addEventListener("beforeunload", function () {
    leaving = true;
    clearTimeout(resumeTimer);
    resumeTimer = setTimeout(function () {
      leaving = false;
      paintPending();
    }, LEAVE_MS);
  });
  window.addEventListener("pagehide", function () {
    left = true;
    clearTimeout(resumeTimer);
  });
  window.addEventListener("pageshow", function () {
    left = false;
    leaving = false;
    paintPending();
  });
  document.addEventListener("visibilitychange", paintPending);

  function canShow() {
    return !leaving && !left && document.visibilityState === "visible";
  }

  function whenPainted(toast) {
    if (toast.__painting || !canShow()) return;
    toast.__painting = true;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        toast.__painting = false;
        if (!toast.__pending || !toast.parentNode || !canShow()) return;
        toast.__pending = false;
        toast.__acked = true;
        markShownHere(toast.getAttribute("data-announce"));
        arm(toast);
        acknowledge(toast.getAttribute("data-announce"));
      });
    });
  }

  function paintPending() {
    if (!canShow()) return;
    document.querySelectorAll("[data-announce]").forEach(function (toast) {
      if (toast.__pending) whenPainted(toast);
    });
    document.querySelectorAll("[data-arm-when-shown]").forEach(armWhenShown);
  }

  // A toast that is no announcement but must not go before it was seen
  // (the count of older ones): armed two frames after it was painted in a
  // visible page.
  function armWhenShown(toast) {
    if (toast.__armed || toast.__painting || !canShow()) return;
    toast.__painting = true;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        toast.__painting = false;
        if (toast.parentNode && canShow()) arm(toast);
      });
    });
  }

  function announceAll() {
    document.querySelectorAll("[data-announce]").forEach(announce);
  }

  function onShown(event) {
    var toast = document.getElementById("toast-" + event.data);
    if (toast && !toast.__acked) toast.remove();
  }

  // A resync (a reconnect from a position the server cannot resume, or a
  // load the broker had to start over) sends no "shown" for what another
  // tab acknowledged meanwhile: it lists instead every announcement no tab
  // has shown. One this tab holds that is not listed was shown elsewhere.
  function onUnshown(event) {
    var ids;
    try { ids = JSON.parse(event.data); } catch (e) { return; }
    if (!Array.isArray(ids)) return;
    var unshown = {};
    ids.forEach(function (id) { unshown[id] = true; });
    document.querySelectorAll("[data-announce]").forEach(function (toast) {
      if (!toast.__acked && !unshown[toast.getAttribute("data-announce")]) toast.remove();
    });
  }

  // A resync lists the newest 200 announcements no tab has shown; the
  // "unshown-older" event after it counts the others, which this tab will
  // not announce. One toast says they exist and links to the notifications
  // page, which has them all; it sits in the toasts' live region, so it is
  // read out like them. A later resync (a connection that keeps dropping
  // resyncs again and again) updates the toast in place rather than adding
  // another, and one the user dismissed comes back only with a new count.
  var olderCount = 0;
  function olderText(n) {
    return n + (n === 1 ? " older notification" : " older notifications") + " not shown here";
  }
  function onUnshownOlder(event) {
    var n = parseInt(event.data, 10);
    var region = document.getElementById("toasts");
    if (!(n > 0) || !region) return;
    var toast = document.getElementById("toast-unshown-older");
    if (toast && toast.parentNode && !toast.__dismissing) {
      if (n !== olderCount) toast.querySelector("[data-older-count]").textContent = olderText(n);
      olderCount = n;
      return;
    }
    if (n === olderCount) return; // told already, and dismissed
    olderCount = n;
    toast = document.createElement("div");
    toast.id = "toast-unshown-older";
    toast.setAttribute("data-toast", "");
    toast.setAttribute("data-arm-when-shown", "");
    toast.setAttribute("data-testid", "older-toast");
    toast.className = "pointer-events-auto card flex items-start gap-3 p-4 shadow-lg";
    var body = document.createElement("div");
    body.className = "min-w-0 flex-1";
    var p = document.createElement("p");
    p.className = "text-sm font-semibold text-ink-900";
    p.setAttribute("data-older-count", "");
    p.textContent = olderText(n);
    var link = document.createElement("a");
    link.href = "/notifications";
    link.className = "link mt-1 inline-block text-sm";
    link.setAttribute("data-testid", "older-toast-link");
    link.textContent = "See all notifications";
    body.appendChild(p);
    body.appendChild(link);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn btn-ghost btn-sm";
    close.setAttribute("data-dismiss-toast", "");
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    toast.appendChild(body);
    toast.appendChild(close);
    region.appendChild(toast);
    armWhenShown(toast);
  }

  // Shows an error of the page itself (not of a job) as a toast.
  function errorToast(text) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var toast = document.createElement("div");
    toast.setAttribute("data-toast", "");
    toast.setAttribute("role", "alert");
    toast.setAttribute("data-testid", "error-toast");
    toast.className = "pointer-events-auto card flex items-start gap-3 p-4 shadow-lg";
    var p = document.createElement("p");
    p.className = "min-w-0 flex-1 text-sm text-danger-800";
    p.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn btn-ghost btn-sm";
    close.setAttribute("data-dismiss-toast", "");
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    toast.appendChild(p);
    toast.appendChild(close);
    region.appendChild(toast);
  }

  document.addEventListener("htmx:responseError", function (e) {
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    errorToast(status === 429 ? "Too many requests. Wait a minute and try again."
      : status === 403 ? "Your session has expired. Reload the page and try again."
      : status === 404 ? "That item no longer exists."
      : "Something went wrong (" + status + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    errorToast("The server could not be reached. Check your connection and try again.");
  });

  // ---- Job cards ------------------------------------------------------------------
  var ACTIVE = { queued: true, processing: true };

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll('[data-testid="job-card"]'));
  }

  function percentOf(card) {
    var bar = card.querySelector('[role="progressbar"]');
    return bar ? parseInt(bar.getAttribute("aria-valuenow"), 10) || 0 : 0;
  }

  // A response to Cancel can be older than the final state the stream has
  // already swapped in: never let it turn an ended card back into a running
  // one. Cards that carry data-version are compared by version.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;
    if (!target || target.getAttribute("data-testid") !== "job-card") return;
    var incoming = e.detail.serverResponse || "";
    var v = /data-version="(\d+)"/.exec(incoming);
    var cur = target.getAttribute("data-version");
    if (v && cur && parseInt(v[1], 10) < parseInt(cur, 10)) {
      e.detail.shouldSwap = false;
      return;
    }
    var path = e.detail.requestConfig && e.detail.requestConfig.path || "";
    if (/\/cancel$/.test(path) && !ACTIVE[target.getAttribute("data-status")]) {
      e.detail.shouldSwap = false;
    }
  });
  // A document page's newer-version banner is a live region: a stream that
  // starts over (a reconnect that replays the whole state) tells of the
  // version it already shows, and writing it again would have a screen
  // reader read it out twice. Only a later version is written.
  document.addEventListener("htmx:sseBeforeMessage", function (e) {
    var target = e.target;
    if (!target || target.id !== "newer-version") return;
    var v = /data-version="(\d+)"/.exec(e.detail.data || "");
    var shown = target.querySelector("[data-version]");
    if (v && shown && parseInt(v[1], 10) <= parseInt(shown.getAttribute("data-version"), 10)) e.preventDefault();
  });
  document.addEventListener("htmx:sseBeforeMessage", function (e) {
    var target = e.target;
    if (!target || target.getAttribute("data-testid") !== "job-card") return;
    var v = /data-version="(\d+)"/.exec(e.detail.data || "");
    var cur = target.getAttribute("data-version");
    if (v && cur && parseInt(v[1], 10) < parseInt(cur, 10)) e.preventDefault();
  });

  // A response whose target the stream replaced while the request was in
  // flight (Retry's card, swapped by the stream's newer card) is not swapped:
  // htmx would first take the page's hx-preserve elements (a live draft)
  // into its swap into the detached target, then drop them. The stream has
  // already shown the newer state. htmx fires beforeSwap on the target,
  // which no longer reaches the document, so the guard listens on it. It
  // is set when the request is sent (after every listener could cancel
  // it), and removed when the request ends (afterRequest, on the element
  // that made it, detached or not), whether a swap came (beforeSwap) or
  // not (no answer, a redirect).
  document.addEventListener("htmx:beforeSend", function (e) {
    var target = e.detail.target, elt = e.detail.elt, xhr = e.detail.xhr;
    if (!target || !target.addEventListener || !elt || !elt.addEventListener) return;
    var guard = function (ev) {
      if (ev.detail.xhr === xhr && !document.documentElement.contains(target)) ev.detail.shouldSwap = false;
    };
    var done = function (ev) {
      if (ev.detail.xhr !== xhr) return;
      target.removeEventListener("htmx:beforeSwap", guard);
      elt.removeEventListener("htmx:afterRequest", done);
      elt.removeEventListener("htmx:onLoadError", done);
    };
    target.addEventListener("htmx:beforeSwap", guard);
    elt.addEventListener("htmx:afterRequest", done);
    elt.addEventListener("htmx:onLoadError", done);
  });

  // Cancel and Retry say what they are doing at once; the card the server
  // answers with (or the stream) confirms it. They are marked aria-disabled,
  // not disabled: a disabled button loses the focus (hx-sync drops a second
  // press).
  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail.elt;
    if (!el || !el.matches) return;
    if (el.matches('[data-testid="job-cancel"]')) {
      el.setAttribute("data-label", el.textContent);
      el.setAttribute("aria-disabled", "true");
      el.textContent = "Stopping…";
    } else if (el.matches('[data-testid="job-retry"]')) {
      el.setAttribute("data-label", el.textContent);
      el.setAttribute("aria-disabled", "true");
      el.textContent = "Retrying…";
    }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var el = e.detail.elt;
    if (!e.detail.successful && el && el.hasAttribute && el.hasAttribute("data-label")) {
      el.textContent = el.getAttribute("data-label");
      el.removeAttribute("aria-disabled");
    }
  });

  // htmx gives the focus back after a swap to the element of the same id
  // (the card's controls have ids). When the swap takes that control away
  // (Cancel when the job ends, Retry when it starts again), the focus goes
  // to what the card offers now, not to the top of the page: Retry, else
  // the card's title link. Never to Cancel: after Retry, a second Enter
  // on the key that pressed it would cancel the run it just started.
  var focusedCard = null;
  function noteCardFocus() {
    var a = document.activeElement;
    var c = a && a.closest && a.closest('[data-testid="job-card"]');
    focusedCard = c && c.id ? c.id : null;
  }
  function keepCardFocus() {
    var id = focusedCard;
    focusedCard = null;
    var a = document.activeElement;
    if (!id || (a && a !== document.body)) return;
    var to = document.getElementById(id + "-retry") || document.getElementById(id + "-link");
    if (to) to.focus({ preventScroll: true });
  }
  document.addEventListener("htmx:beforeSwap", noteCardFocus);
  document.addEventListener("htmx:sseBeforeMessage", noteCardFocus);
  document.addEventListener("htmx:afterSwap", keepCardFocus);
  document.addEventListener("htmx:sseMessage", keepCardFocus);

  // The title shows the progress of the jobs running on this page, as
  // "(40%) Generating… | Dossier", and goes back when they end.
  var baseTitle = document.title;
  function refreshTitle() {
    var running = cards().filter(function (c) { return c.getAttribute("data-status") === "processing"; });
    if (running.length === 0) {
      if (document.title !== baseTitle) document.title = baseTitle;
      return;
    }
    var sum = running.reduce(function (acc, c) { return acc + percentOf(c); }, 0);
    var pct = Math.round(sum / running.length);
    var t = "(" + pct + "%) Generating… | Dossier";
    if (document.title !== t) document.title = t;
  }

  // A page about a project is titled with its name, after a fixed opening
  // ("Generate · "): partials.TitleProject marks both. The <title> holds
  // text only, out of reach of sse-swap, so the stream's projectname-<id>
  // event (a rename, in any tab) is applied here: the new name takes the
  // old one's place in the page's own title, which shows again when no job
  // is running on the page. A title that no longer opens with the opening
  // and the old name is left as it is. The event's data is the name,
  // HTML-escaped.
  function titleMark() { return document.querySelector("[data-title-project]"); }
  function collapse(s) { return s.replace(/[\t\n\f\r ]+/g, " "); } // as document.title reads
  function onTitleName(event) {
    var mark = titleMark();
    if (!mark || event.type !== "projectname-" + mark.getAttribute("data-title-project")) return;
    var name = new DOMParser().parseFromString(event.data || "", "text/html").body.textContent;
    var before = mark.getAttribute("data-title-before") || "";
    var old = collapse(before + mark.getAttribute("data-title-name")).replace(/^ /, "");
    if (!name || baseTitle.indexOf(old) !== 0) return;
    baseTitle = before + name + baseTitle.slice(old.length);
    mark.setAttribute("data-title-name", name);
    refreshTitle();
  }

  // An edit form filled from one state of its project, while the stream
  // says the project now has another (a save elsewhere), says that its
  // save will be merged with it.
  function onFingerprint(event) {
    var note = document.querySelector("[data-saved-elsewhere]");
    var base = document.querySelector('#project-form input[name="baseFingerprint"]');
    if (note && base && event.data && event.data !== base.value) note.hidden = false;
  }

  function refreshPage() {
    refreshTitle();
    if (window.__dossierOffline) setOffline(true);
  }

  // ---- Drafts -----------------------------------------------------------------------
  // A document being written shows under its row as its draft grows (the
  // stream's "draft" events fill [data-draft-text]). One draft per card is
  // open: the one the user picked, else the latest started; the others
  // offer a button. A draft element without text (none yet, or a page whose
  // stream sends none) stays hidden. The elements are kept across card
  // swaps (hx-preserve), and so is what is set on them here.
  var pickedDraft = {}; // card id → draft element id
  var draftAtEnd = {}; // draft text id → was scrolled to its end

  function arrangeDrafts() {
    cards().forEach(function (card) {
      var all = Array.prototype.slice.call(card.querySelectorAll("[data-draft]"));
      var live = all.filter(function (d) {
        var text = d.querySelector("[data-draft-text]");
        return text && text.textContent.trim() !== "";
      });
      var open = null;
      live.forEach(function (d) {
        if (d.id === pickedDraft[card.id]) open = d;
      });
      if (!open) {
        live.forEach(function (d) {
          if (!open || (parseInt(d.getAttribute("data-started"), 10) || 0) > (parseInt(open.getAttribute("data-started"), 10) || 0)) open = d;
        });
      }
      all.forEach(function (d) {
        var on = d === open;
        d.hidden = live.indexOf(d) < 0;
        d.querySelector("[data-draft-text]").hidden = !on;
        d.querySelector("[data-draft-caption]").hidden = !on;
        var toggle = d.querySelector("[data-draft-toggle]");
        toggle.hidden = on;
        toggle.setAttribute("aria-expanded", on ? "true" : "false");
      });
    });
  }

  document.addEventListener("click", function (e) {
    var toggle = e.target.closest && e.target.closest("[data-draft-toggle]");
    if (!toggle) return;
    var card = toggle.closest('[data-testid="job-card"]');
    if (card) pickedDraft[card.id] = toggle.closest("[data-draft]").id;
    arrangeDrafts();
  });
  // A draft scrolled to its end follows the text as it grows.
  document.addEventListener("htmx:sseBeforeMessage", function () {
    draftAtEnd = {};
    document.querySelectorAll("[data-draft-text]").forEach(function (t) {
      draftAtEnd[t.id] = t.scrollHeight - t.scrollTop - t.clientHeight < 8;
    });
  });
  document.addEventListener("htmx:sseMessage", function () {
    arrangeDrafts();
    document.querySelectorAll("[data-draft-text]").forEach(function (t) {
      if (draftAtEnd[t.id] && !t.hidden) t.scrollTop = t.scrollHeight;
    });
  });
  document.addEventListener("htmx:afterSettle", arrangeDrafts);

  // ---- Notifications page ---------------------------------------------------------
  // Loading the page changes nothing on the server; the page marks what it
  // lists as read with a POST, and the bell follows over the stream.
  function markRead() {
    var page = document.querySelector("[data-mark-read]");
    if (!page || page.__marked) return;
    page.__marked = true;
    post("/notifications/read").catch(function () {});
  }

  // ---- The generate form ------------------------------------------------------------
  // Checking a document checks what it depends on (and says so); unchecking
  // one unchecks what depends on it. The server resolves dependencies again.
  function formDocs(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[data-doc]"));
  }

  function byKey(form) {
    var m = {};
    formDocs(form).forEach(function (box) { m[box.getAttribute("data-doc")] = box; });
    return m;
  }

  function deps(box) {
    return (box.getAttribute("data-depends-on") || "").split(/\s+/).filter(Boolean);
  }

  function note(box, text) {
    var el = box.closest("label").querySelector("[data-auto-note]");
    if (!el) return;
    el.textContent = text || "";
    el.classList.toggle("hidden", !text);
  }

  // checkWithDeps returns how many documents it checked.
  function checkWithDeps(form, box, reason, seen) {
    var all = byKey(form);
    var added = 0;
    seen = seen || {};
    deps(box).forEach(function (k) {
      var dep = all[k];
      if (!dep || seen[k]) return;
      seen[k] = true;
      if (!dep.checked) {
        dep.checked = true;
        added++;
        note(dep, "Added: " + reason + " needs it");
      }
      added += checkWithDeps(form, dep, reason, seen);
    });
    return added;
  }

  // The notes by each document are not live regions (one click can write a
  // dozen); what a click added is said once, in the selected-count line,
  // which is.
  function summarize(form, text) {
    var el = form.querySelector("[data-auto-summary]");
    if (el) el.textContent = text || "";
  }

  function uncheckDependents(form, key, seen) {
    seen = seen || {};
    formDocs(form).forEach(function (box) {
      var k = box.getAttribute("data-doc");
      if (seen[k] || deps(box).indexOf(key) < 0) return;
      seen[k] = true;
      if (box.checked) {
        box.checked = false;
        note(box, "");
      }
      uncheckDependents(form, k, seen);
    });
  }

  function refreshForm(form) {
    var boxes = formDocs(form);
    var n = boxes.filter(function (b) { return b.checked; }).length;
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    var count = form.querySelector("[data-selected-count]");
    if (count) count.textContent = n === 1 ? "1 document" : n + " documents";
    // A page whose project is gone keeps its submit off (markGone): a
    // settle or a tick of a box must not turn it back on.
    var submit = form.querySelector('button[type="submit"]');
    if (submit && !form.classList.contains("htmx-request")) submit.disabled = n === 0 || isGone();
  }

  document.addEventListener("change", function (e) {
    var form = e.target.closest("[data-generate-form]");
    if (!form) return;
    if (e.target.matches("[data-select-all]")) {
      formDocs(form).forEach(function (b) { b.checked = e.target.checked; note(b, ""); });
      summarize(form, "");
    } else if (e.target.matches("input[data-doc]")) {
      var box = e.target;
      note(box, "");
      var added = 0;
      var reason = box.getAttribute("data-title") || "a selected document";
      if (box.checked) added = checkWithDeps(form, box, reason);
      else uncheckDependents(form, box.getAttribute("data-doc"));
      summarize(form, added === 0 ? "" :
        "Added " + (added === 1 ? "1 document" : added + " documents") + " that " + reason + " needs.");
    }
    refreshForm(form);
  });

  // ---- Local times ----------------------------------------------------------------
  // The server writes times in UTC ("1 Dec 2026, 06:33:18 UTC"), which
  // stays as the text without script. Here every <time datetime> whose
  // text says UTC is written again in the browser's time zone, in the same
  // shape (day month year, 24-hour clock, seconds when the server gave
  // them), without "UTC"; its title keeps the server's text. Text that
  // does not say UTC ("5 minutes ago", a date) is left as it is. An
  // <option> cannot hold a <time>: one with data-datetime (the document
  // page's version pickers) has the time in its text, written again alike.
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var localFormat = null;
  function localParts(date) {
    try {
      if (!localFormat) {
        localFormat = new Intl.DateTimeFormat("en-GB", {
          year: "numeric", month: "numeric", day: "numeric",
          hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
        });
      }
      var p = {};
      localFormat.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
      return { y: p.year, m: parseInt(p.month, 10), d: parseInt(p.day, 10), H: p.hour, M: p.minute, S: p.second };
    } catch (e) {
      return null;
    }
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function localText(text, date) {
    if (!/\bUTC\b/.test(text) || isNaN(date.getTime())) return null;
    var p = localParts(date);
    if (!p || !p.m || !p.d) return null;
    return text
      .replace(/\b(\d{1,2}):(\d{2})(:\d{2})?\b/, function (_, h, m, sec) { return p.H + ":" + p.M + (sec ? ":" + p.S : ""); })
      .replace(/\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)( \d{4})?\b/, function (_, mon, year) { return p.d + " " + MONTHS[p.m - 1] + (year ? " " + p.y : ""); })
      .replace(/\b\d{4}-\d{2}-\d{2}\b/, p.y + "-" + two(p.m) + "-" + two(p.d))
      .replace(/ ?\bUTC\b/, "");
  }
  function localiseTimes() {
    document.querySelectorAll("time[datetime], option[data-datetime]").forEach(function (el) {
      var text = el.textContent;
      if (el.__localText === text) return; // written here already
      var local = localText(text, new Date(el.getAttribute(el.tagName === "OPTION" ? "data-datetime" : "datetime")));
      if (local === null) return;
      if (!el.hasAttribute("title")) el.setAttribute("title", text.trim());
      el.textContent = local;
      el.__localText = local;
    });
  }

  // ---- Wide tables ----------------------------------------------------------------
  // A document's table wider than its column (a phone) scrolls sideways in
  // its own box. It says so: a note above it, and its edges fade where
  // there is more to scroll to (data-scroll="left right").
  function markWideTables() {
    document.querySelectorAll(".prose-doc table").forEach(function (table) {
      var more = [];
      if (table.scrollWidth > table.clientWidth + 1) {
        if (table.scrollLeft > 1) more.push("left");
        if (table.scrollLeft + table.clientWidth < table.scrollWidth - 1) more.push("right");
      }
      var value = more.join(" ");
      if ((table.getAttribute("data-scroll") || "") !== value) {
        if (value) table.setAttribute("data-scroll", value); else table.removeAttribute("data-scroll");
      }
      var note = table.previousElementSibling;
      var hasNote = note && note.hasAttribute("data-scroll-note");
      var wide = table.scrollWidth > table.clientWidth + 1;
      if (wide && !hasNote) {
        note = document.createElement("p");
        note.setAttribute("data-scroll-note", "");
        note.setAttribute("aria-hidden", "true"); // a hint for the eyes: a screen reader reads the cells
        note.textContent = "Wide table: scroll sideways to see every column.";
        table.parentNode.insertBefore(note, table);
      } else if (!wide && hasNote) {
        note.remove();
      }
      if (!table.__scrollWatched) {
        table.__scrollWatched = true;
        table.addEventListener("scroll", markWideTables, { passive: true });
      }
    });
  }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(markWideTables, 100);
  });

  // ---- Wiring ---------------------------------------------------------------------
  function init(root) {
    snapshotGuarded();
    localiseTimes();
    markWideTables();
    armAll(root);
    renderNotificationButtons(); // swapped-in blocks may carry one (generate page)
    document.querySelectorAll("[data-generate-form]").forEach(refreshForm);
    refreshPage();
  }

  document.addEventListener("htmx:afterSettle", function () { init(); });
  document.addEventListener("htmx:oobAfterSwap", function () { armAll(); });
  document.addEventListener("htmx:sseMessage", function () { init(); });

  function start() {
    baseTitle = document.title;
    focusFormErrors(document.getElementById("main") || document.body);
    renderNotificationButtons();
    pruneMarks();
    init();
    arrangeDrafts();
    markRead();
    if (document.body.hasAttribute("sse-connect")) streamDown(); // until the stream opens
    var region = document.getElementById("toasts");
    if (region && window.MutationObserver) {
      new MutationObserver(function () { armAll(region); }).observe(region, { childList: true });
    }
    if (window.MutationObserver) {
      // Cards swapped by the stream change status without a settle event of
      // their own on some paths; watch their attributes too.
      new MutationObserver(refreshPage).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status", "aria-valuenow"] });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
