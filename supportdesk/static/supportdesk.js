// Supportdesk: small enhancements over server-rendered pages; everything works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The browser's time zone, for people who have not chosen one (read by the server).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("supportdesk_tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "supportdesk_tz=" + encodeURIComponent(zone) + ";path=/;max-age=31536000;samesite=lax";
    }
  } catch (e) { /* no Intl: the server uses UTC or the person's choice */ }

  // Selects marked data-autosubmit submit their form on change (the language menu).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
  });

  // A canned reply goes into the reply box where the cursor is, and sets the status to send
  // with (without JavaScript the page is asked for again with the reply filled in).
  document.addEventListener("submit", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches("form[data-macro-target]")) { return; }
    var area = document.querySelector(picker.getAttribute("data-macro-target"));
    var option = picker.querySelector("select").selectedOptions[0];
    if (!area || !option) { return; }
    event.preventDefault();
    var at = area.selectionStart === undefined ? area.value.length : area.selectionStart;
    var text = option.getAttribute("data-body");
    area.value = area.value.slice(0, at) + text + area.value.slice(area.selectionEnd || at);
    var status = area.form && area.form.querySelector("[name=status]");
    if (status && option.getAttribute("data-status")) { status.value = option.getAttribute("data-status"); }
    area.focus();
    area.setSelectionRange(at + text.length, at + text.length);
  });

  // The queue's "select all" box selects every case on the page for a bulk change.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("#queue input[data-select-all]")) {
      document.querySelectorAll("#queue tbody input[name=case]").forEach(function (c) {
        c.checked = box.checked;
      });
    }
  });

  // The queue: j / k move the selection, Enter (or o) opens the selected case.
  var selectedCase = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-case]"));
  }

  function select(row) {
    rows().forEach(function (r) {
      r.classList.remove("selected");
      r.removeAttribute("aria-selected");
    });
    if (!row) { return; }
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    selectedCase = row.getAttribute("data-case");
    var link = row.querySelector("a");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
    var list = rows();
    if (!list.length) { return; }
    var current = list.findIndex(function (r) { return r.classList.contains("selected"); });
    if (event.key === "j") {
      select(list[Math.min(list.length - 1, current + 1)]);
      event.preventDefault();
    } else if (event.key === "k") {
      select(list[Math.max(0, current - 1)]);
      event.preventDefault();
    } else if ((event.key === "Enter" || event.key === "o") && current >= 0) {
      var link = list[current].querySelector("a");
      if (link && document.activeElement !== link) {
        event.preventDefault();
        window.location.href = link.href;
      }
    }
  });

  // The queue's counts refresh every minute, but not while someone is in the filters: the
  // refresh would replace the select under their hand.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var wrap = event.detail.elt;
    var filters = wrap.id === "queue-filters-wrap" && wrap.querySelector("#queue-filters");
    if (filters && /^every /.test(wrap.getAttribute("hx-trigger") || "") &&
        filters.contains(document.activeElement)) {
      event.preventDefault();
    }
    // Nor the rows while cases are selected for a bulk change.
    if (wrap.id === "queue-results" && wrap.querySelector("input[name=case]:checked")) {
      event.preventDefault();
    }
  });

  // After htmx refreshes the queue, keep the same case selected, and keep the keyboard focus
  // where it was when it was inside the refreshed part.
  var focusedCase = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    var row = active && active.closest ? active.closest("#queue tbody tr[data-case]") : null;
    focusedCase = row ? row.getAttribute("data-case") : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (selectedCase) {
      var row = document.querySelector('#queue tbody tr[data-case="' + selectedCase + '"]');
      if (row) {
        row.classList.add("selected");
        row.setAttribute("aria-selected", "true");
      }
    }
    if (focusedCase) {
      var link = document.querySelector('#queue tbody tr[data-case="' + focusedCase + '"] a');
      if (link) { link.focus({ preventScroll: true }); }
      focusedCase = null;
    }
  });
})();
