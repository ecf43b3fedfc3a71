// The webshop's little JavaScript: the voucher code appears without a reload, forms submit once, and a gift
// picture that does not load gives way to the gift's initial.
(function () {
  "use strict";

  var POLL_EVERY_MS = 1500;
  var POLL_MAX = 120; // three minutes; after that a reload shows the code anyway

  function fill(root, selector, text) {
    var node = root.querySelector(selector);
    if (node && text !== undefined && text !== null) node.textContent = text;
  }

  function show(root, data) {
    fill(document, "[data-status]", data.status_label);
    var voucher = data.voucher;
    if (!voucher) return;
    fill(root, "[data-voucher-status]", voucher.status_label);
    if (voucher.code) {
      fill(root, "[data-voucher-code]", voucher.code);
      fill(root, "[data-voucher-value]", voucher.value);
      fill(root, "[data-voucher-expires]", voucher.expires_at || "\u2014");
      root.querySelector("[data-voucher-pending]").hidden = true;
      root.querySelector("[data-voucher-ready]").hidden = false;
    }
  }

  function poll(root) {
    var url = root.getAttribute("data-poll-url");
    var tries = 0;
    function tick() {
      tries += 1;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          show(root, data);
          if (!data.final && tries < POLL_MAX) window.setTimeout(tick, POLL_EVERY_MS);
        })
        .catch(function () {
          // A lost session or a network hiccup: stop quietly, the page still shows the last state.
        });
    }
    window.setTimeout(tick, POLL_EVERY_MS);
  }

  function submitOnce(form) {
    form.addEventListener("submit", function () {
      // Disabled after the submit has started, so the button's own value still goes with it.
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  }

  // A gift picture that does not load is removed, so that the gift's initial shows instead. No inline onerror:
  // the Content Security Policy runs no inline script. Error events do not bubble, so they are caught on their
  // way down; a picture that failed before this script ran is found by its state.
  function dropIfBroken(img) {
    if (img.parentNode) img.parentNode.removeChild(img);
  }

  document.addEventListener(
    "error",
    function (event) {
      var target = event.target;
      if (target && target.tagName === "IMG" && target.hasAttribute("data-hide-if-broken")) dropIfBroken(target);
    },
    true
  );

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("img[data-hide-if-broken]").forEach(function (img) {
      if (img.complete && img.naturalWidth === 0) dropIfBroken(img);
    });
    document.querySelectorAll("[data-poll-url]").forEach(poll);
    document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
  });
})();
