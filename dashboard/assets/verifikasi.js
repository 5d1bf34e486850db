// Verifikasi page: keyboard shortcuts on the focused card and live SLA clocks (no network, no libraries).
//   j / k  next / previous card        1–3  accept suggestion n (verify + dispatch)
//   t      choose a reject reason; Enter in it rejects        g  merge into the chosen duplicate
//   x      select the card (bulk)      r    reload the queue
(function () {
  var focusIndex = 0;

  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".vf-page .vf-card")); }

  function applyFocus(scroll) {
    var all = cards();
    if (!all.length) { return null; }
    focusIndex = Math.max(0, Math.min(focusIndex, all.length - 1));
    all.forEach(function (c, i) { c.classList.toggle("vf-focus", i === focusIndex); });
    if (scroll) { all[focusIndex].scrollIntoView({block: "nearest", behavior: "smooth"}); }
    return all[focusIndex];
  }

  function typing(el) {
    if (!el) { return false; }
    var tag = (el.tagName || "").toLowerCase();
    return el.isContentEditable || tag === "input" || tag === "textarea" || tag === "select";
  }

  function clickIn(card, selector) {
    var target = card && card.querySelector(selector);
    if (target && !target.disabled) { target.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (ev) {
    if (!document.querySelector(".vf-page") || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var el = ev.target;
    if (el && el.classList && el.classList.contains("vf-reason") && ev.key === "Enter") {
      ev.preventDefault();
      clickIn(el.closest(".vf-card"), ".vf-reject");
      return;
    }
    if (ev.key === "Escape" && typing(el)) { el.blur(); return; }
    if (typing(el)) { return; }
    var card = applyFocus(false);
    switch (ev.key) {
      case "j": focusIndex += 1; applyFocus(true); break;
      case "k": focusIndex -= 1; applyFocus(true); break;
      case "1": case "2": case "3": clickIn(card, ".vf-accept-" + ev.key); break;
      case "t": {
        var reason = card && card.querySelector(".vf-reason");
        if (reason) { reason.focus(); }
        break;
      }
      case "g": clickIn(card, ".vf-merge"); break;
      case "x": clickIn(card, ".vf-select input"); break;
      case "r": clickIn(document, ".vf-refresh"); break;
      default: return;
    }
    ev.preventDefault();
  });

  // A click anywhere in a card makes it the focused one.
  document.addEventListener("click", function (ev) {
    var card = ev.target && ev.target.closest && ev.target.closest(".vf-page .vf-card");
    if (card) { focusIndex = cards().indexOf(card); applyFocus(false); }
  }, true);

  // Dash re-renders the cards after every action: the focus stays at the same place in the queue.
  new MutationObserver(function () {
    if (document.querySelector(".vf-page .vf-card:not(.vf-focus)") && !document.querySelector(".vf-focus")) {
      applyFocus(false);
    }
  }).observe(document.documentElement, {childList: true, subtree: true});

  // SLA clocks tick in the browser (same words as the server's first rendering).
  function duration(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60), days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) { return days + " hari" + (hours ? " " + hours + " jam" : ""); }
    if (hours) { return hours + " jam" + (mins ? " " + mins + " menit" : ""); }
    return mins + " menit";
  }

  function tick() {
    document.querySelectorAll(".vf-clock[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var left = (due - Date.now()) / 1000;
      var tone = left < 0 ? "red" : (left < 86400 ? "yellow" : "green");
      el.textContent = (left < 0 ? "lewat " : "sisa ") + duration(left);
      ["green", "yellow", "red"].forEach(function (t) { el.classList.toggle("tone-" + t, t === tone); });
      var card = el.closest(".vf-card");
      if (card) { ["green", "yellow", "red"].forEach(function (t) { card.classList.toggle("tone-" + t, t === tone); }); }
    });
  }
  setInterval(tick, 30000);
})();
