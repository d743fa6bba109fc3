// Dispute pages: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // A refusal (4xx) of a dispute action is a fragment that says why: swap it in like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Fragment") === "swap") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Live character counters: <textarea data-counter="id-of-output" minlength="100">.
  function count(area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    if (!out) return;
    var minimum = parseInt(area.getAttribute("minlength") || "0", 10);
    var length = area.value.trim().length;
    out.textContent = String(length);
    var box = out.closest("[data-counter-box]");
    if (box) box.classList.toggle("is-short", length < minimum);
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-counter]")) count(event.target);
  });

  // Countdowns: <time data-countdown datetime="…"> keeps saying "due in …" / "overdue by …".
  function span(seconds) {
    var days = Math.floor(seconds / 86400), hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    if (days) return days + (days === 1 ? " day " : " days ") + hours + " h";
    if (hours) return hours + " h " + minutes + " min";
    return Math.max(minutes, 1) + " min";
  }
  function tick() {
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      var left = Math.round((at - Date.now()) / 1000);
      el.textContent = left >= 0 ? "due in " + span(left) : "overdue by " + span(-left);
      var meter = el.closest("[data-deadline]") && el.closest("[data-deadline]").querySelector("meter");
      if (meter) meter.value = Math.max(0, left);
    });
    document.querySelectorAll("textarea[data-counter]").forEach(count);
  }
  document.addEventListener("htmx:afterSettle", tick);
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
  });

  // The ruling form: a rejected claim applies no consequence, so those fields are disabled while it is chosen.
  function outcome(form) {
    var chosen = form.querySelector("input[name$='outcome']:checked");
    var box = form.querySelector("[data-consequences]");
    if (!box) return;
    var rejected = chosen && chosen.value === "rejected";
    box.disabled = rejected;
    box.classList.toggle("is-disabled", rejected);
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-ruling-form]");
    if (form) outcome(form);
  });
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("form[data-ruling-form]").forEach(outcome);
  });
})();
