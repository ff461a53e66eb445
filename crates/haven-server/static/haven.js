// Haven's only script: the quick-exit button. Pages work without it.
(function () {
  "use strict";
  function leave(url) {
    // replace(): the Back button does not return to Haven.
    try { document.body.style.display = "none"; } catch (e) { /* ignore */ }
    window.location.replace(url);
  }
  document.addEventListener("DOMContentLoaded", function () {
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
