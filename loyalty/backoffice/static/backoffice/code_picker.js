/* The promotion form's code pickers (loyalty/backoffice/promotion_pickers.py): a search box beside a code list
   text box. Suggestions come from the promotion admin's suggestion endpoint, for the promotion's program; choosing
   one (click, or arrow keys and Enter) adds it to the list. Codes no recent earn carried are flagged next to the
   field, live. A file, not an inline script: the admin's Content Security Policy allows scripts from 'self' only.
   Its words come translated from the page (a JSON script element beside each picker, `<id>_texts`). */
(function () {
  "use strict";

  function codes(text) {
    return text.split(/[,\r\n]+/).map(function (part) { return part.trim(); }).filter(Boolean);
  }

  function programOf(picker) {
    var select = document.getElementById("id_program");
    if (select && select.value) { return select.value; }
    return picker.dataset.program || "";
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  function setup(picker) {
    var textarea = document.getElementById(picker.dataset.target);
    var search = document.getElementById(picker.dataset.target + "_search");
    var listbox = document.getElementById(picker.dataset.target + "_listbox");
    var status = document.getElementById(picker.dataset.target + "_status");
    var warnings = document.getElementById(picker.dataset.target + "_warnings");
    if (!textarea || !search || !listbox) { return; }
    var textsElement = document.getElementById(picker.dataset.target + "_texts");
    var texts = textsElement ? JSON.parse(textsElement.textContent) : {};
    var say = function (key, values) { return fill(texts[key] || key, values || {}); };
    search.parentElement.hidden = false;
    var options = [];
    var active = -1;
    var timer = null;
    var requested = 0;

    function query(params) {
      var program = programOf(picker);
      if (!program) { return Promise.resolve(null); }
      var url = new URL(picker.dataset.url, window.location.href);
      url.searchParams.set("program", program);
      url.searchParams.set("field", picker.dataset.field);
      Object.keys(params).forEach(function (key) { url.searchParams.set(key, params[key]); });
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
        return r.ok ? r.json() : null;
      });
    }

    function close() {
      listbox.hidden = true;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = listbox.querySelectorAll("[role=option]");
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === index ? "true" : "false");
        item.classList.toggle("code-picker-active", i === index);
      });
      active = index;
      if (index >= 0 && items[index]) {
        search.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        search.removeAttribute("aria-activedescendant");
      }
    }

    function show(results) {
      // The option the keyboard was on stays chosen when the same answer comes again.
      var kept = active >= 0 && options[active] ? options[active].value : null;
      listbox.textContent = "";
      options = results;
      results.forEach(function (result, index) {
        var item = document.createElement("li");
        item.id = picker.dataset.target + "_option_" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.className = "code-picker-option";
        item.dataset.value = result.value;
        var value = document.createElement("span");
        value.className = "code-picker-value";
        value.textContent = result.value;
        var note = document.createElement("span");
        note.className = "code-picker-note";
        note.textContent = result.count
          ? say(result.count === 1 ? "line" : "lines", { count: result.count })
          : say("not_in_earns", { value: result.sources.map(function (s) { return say(s); }).join(", ") });
        item.appendChild(value);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(note);
        item.addEventListener("mousedown", function (event) { event.preventDefault(); add(result.value); });
        listbox.appendChild(item);
      });
      var open = results.length > 0;
      listbox.hidden = !open;
      search.setAttribute("aria-expanded", open ? "true" : "false");
      status.textContent = open ? say("suggestions", { count: results.length }) : say("none");
      highlight(results.map(function (r) { return r.value; }).indexOf(kept));
    }

    function refresh() {
      var asked = ++requested;
      query({ q: search.value }).then(function (data) {
        if (asked !== requested) { return; }
        if (data === null) {
          show([]);
          status.textContent = say("choose_program");
          return;
        }
        show(data.results);
      });
    }

    function check() {
      query({ check: codes(textarea.value).join(",") }).then(function (data) {
        if (data === null) { return; }
        warnings.textContent = "";
        data.warnings.forEach(function (text) {
          var p = document.createElement("p");
          p.className = "code-picker-warning px-3 py-2 rounded-default bg-orange-100 text-orange-700 text-sm";
          p.textContent = say("warning", { value: text });
          warnings.appendChild(p);
        });
      });
    }

    function add(value) {
      // A search still waiting (typed just before Enter) must not reopen the list over the "added" message.
      window.clearTimeout(timer);
      requested++;
      var current = codes(textarea.value);
      if (current.indexOf(value) === -1) {
        current.push(value);
        textarea.value = current.join("\n");
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        textarea.dispatchEvent(new Event("change", { bubbles: true }));
      }
      status.textContent = say("added", { value: value });
      search.value = "";
      close();
      check();
    }

    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 150);
    });
    search.addEventListener("focus", refresh);
    search.addEventListener("blur", function () {
      window.setTimeout(function () { if (document.activeElement !== search) { close(); } }, 100);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (listbox.hidden) { refresh(); return; }
        highlight(Math.min(active + 1, options.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        event.preventDefault(); // never submit the promotion form from the search box
        if (active >= 0 && options[active]) {
          add(options[active].value);
        } else if (search.value.trim()) {
          add(search.value.trim()); // free entry: the warning says whether the tills ever sent it
        }
      } else if (event.key === "Escape") {
        if (!listbox.hidden) { event.preventDefault(); close(); }
      }
    });
    textarea.addEventListener("change", check);
    var program = document.getElementById("id_program");
    if (program) { program.addEventListener("change", check); }
  }

  function start() {
    document.querySelectorAll("[data-code-picker]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
