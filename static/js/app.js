// Dossier page glue: browser notifications, toasts and the document title.
// One SSE connection per tab is opened by htmx (sse-connect on <body>); this
// script only listens to the events it carries.
(function () {
  "use strict";
})();
