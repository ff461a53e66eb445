// Haven's only script: the quick-exit button and print buttons. Pages work without it.
(function () {
  "use strict";
  function leave(url) {
    try { document.body.style.display = "none"; } catch (e) { /* ignore */ }
    // End the session too, so that Back shows the sign-in page, not a case.
    // A beacon is delivered even as the page goes away.
    var csrf = document.querySelector("form.sign-out input[name=csrf]");
    if (csrf && navigator.sendBeacon) {
      navigator.sendBeacon("/sign-out", new URLSearchParams({ csrf: csrf.value }));
    }
    // replace(): this page is not left in the history.
    window.location.replace(url);
  }
  document.addEventListener("DOMContentLoaded", function () {
    // Print buttons (documents): progressive, the browser's print works too.
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
    var exit = document.getElementById("quick-exit");
    if (!exit) { return; }
    exit.addEventListener("click", function (event) {
      event.preventDefault();
      leave(exit.href);
    });
    var lastEscape = 0;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      var now = Date.now();
      if (now - lastEscape < 800) { leave(exit.href); }
      lastEscape = now;
    });
  });
})();
