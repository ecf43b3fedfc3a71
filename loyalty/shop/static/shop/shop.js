// The webshop's little JavaScript: the voucher code appears without a reload and copies with a button, forms
// submit once, the language menu needs no button, country codes read as names, and a gift picture that does not
// load gives way to the gift's initial. Every page works without it.
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

  // The language menu sends its form as soon as a language is picked with a pointer; its button stays for pages
  // without script. The arrow keys change a closed menu's choice at each press: sending it then would reload the
  // page before a keyboard user reaches their language (WCAG 3.2.2), so a choice made with keys shows the button
  // instead, and Enter sends it.
  function submitOnChange(form) {
    var buttons = form.querySelectorAll("[data-without-script]");
    function send() {
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
    buttons.forEach(function (button) {
      button.hidden = true;
    });
    form.querySelectorAll("select").forEach(function (select) {
      var byKeyboard = false;
      select.addEventListener("pointerdown", function () {
        byKeyboard = false;
      });
      select.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          window.setTimeout(send, 0); // after an open list has applied the choice Enter made
          return;
        }
        if (event.key !== "Tab") byKeyboard = true;
      });
      select.addEventListener("change", function () {
        if (!byKeyboard) {
          send();
          return;
        }
        buttons.forEach(function (button) {
          button.hidden = false;
        });
      });
    });
  }

  // A copy button where the browser lets the page write to the clipboard (a secure page); elsewhere the code
  // stays selectable text. The status next to it says "Copied" to every user, screen readers included.
  function copyButton(button) {
    if (!navigator.clipboard || !window.isSecureContext) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    var feedback = button.parentNode.querySelector("[data-copy-feedback]");
    if (!source) return;
    var clear = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      function say(text) {
        if (!feedback) return;
        feedback.textContent = text;
        window.clearTimeout(clear);
        clear = window.setTimeout(function () {
          feedback.textContent = "";
        }, 4000);
      }
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () {
          say(button.getAttribute("data-copied"));
        },
        function () {
          say(button.getAttribute("data-copy-failed"));
        }
      );
    });
  }

  // Country codes written as names in the page's language, where the browser knows them (Intl.DisplayNames).
  function countryNames() {
    if (!window.Intl || !Intl.DisplayNames) return;
    var names;
    try {
      names = new Intl.DisplayNames([document.documentElement.lang || "en"], { type: "region" });
    } catch (error) {
      return;
    }
    function nameOf(code) {
      try {
        var name = names.of(code);
        return name && name !== code ? name : null;
      } catch (error) {
        return null;
      }
    }
    document.querySelectorAll("[data-country-name]").forEach(function (node) {
      var name = nameOf(node.getAttribute("data-country-name"));
      if (name) node.textContent = name;
    });
    document.querySelectorAll("select[data-country-names]").forEach(function (select) {
      var options = Array.prototype.slice.call(select.options).filter(function (option) {
        return option.value;
      });
      options.forEach(function (option) {
        var name = nameOf(option.value);
        if (name) option.textContent = name + " (" + option.value + ")";
      });
      var collator = new Intl.Collator(document.documentElement.lang || "en");
      options.sort(function (a, b) {
        return collator.compare(a.textContent, b.textContent);
      });
      options.forEach(function (option) {
        select.appendChild(option); // moved, in the new order; the selected one stays selected
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-submit-on-change]").forEach(submitOnChange);
    document.querySelectorAll("button[data-copy]").forEach(copyButton);
    countryNames();
    document.querySelectorAll("img[data-hide-if-broken]").forEach(function (img) {
      if (img.complete && img.naturalWidth === 0) dropIfBroken(img);
    });
    document.querySelectorAll("[data-poll-url]").forEach(poll);
    document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
  });
})();
