// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  function setUpBulkSelection() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var all = document.getElementById("select-all");
    var rows = Array.prototype.slice.call(form.querySelectorAll(".row-check"));
    var count = document.getElementById("bulk-count");

    function refresh() {
      var chosen = rows.filter(function (box) { return box.checked; }).length;
      if (count) {
        count.textContent = chosen
          ? chosen + (chosen === 1 ? " ticket selected" : " tickets selected")
          : "Select tickets to change several at once.";
      }
      if (all) {
        all.checked = chosen > 0 && chosen === rows.length;
        all.indeterminate = chosen > 0 && chosen < rows.length;
      }
      rows.forEach(function (box) {
        var row = box.closest("tr");
        if (row) row.classList.toggle("is-selected", box.checked);
      });
    }

    if (all && rows.length) {
      all.hidden = false;
      all.addEventListener("change", function () {
        rows.forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    rows.forEach(function (box) { box.addEventListener("change", refresh); });
    refresh();
  }

  // Whether the one-key shortcuts are on in this browser: someone who speaks to their
  // computer, or presses keys by accident, turns them off (WCAG 2.1.4) on the account page.
  var SHORTCUTS_KEY = "ticketdesk.shortcuts";

  function shortcutsOn() {
    try { return window.localStorage.getItem(SHORTCUTS_KEY) !== "off"; } catch (e) { return true; }
  }

  function setUpShortcutSwitch() {
    var box = document.getElementById("shortcuts-on");
    if (!box) return;
    var said = document.getElementById("shortcuts-saved");
    box.checked = shortcutsOn();
    box.closest("[hidden]").hidden = false;
    box.addEventListener("change", function () {
      try {
        window.localStorage.setItem(SHORTCUTS_KEY, box.checked ? "on" : "off");
        said.textContent = box.checked ? "Shortcuts are on in this browser." : "Shortcuts are off in this browser.";
      } catch (e) {
        said.textContent = "This browser keeps no settings, so shortcuts stay on.";
      }
    });
  }

  function setUpShortcuts() {
    // "/" jumps to the page's search box (the staff list's filters, a customer's own
    // search, the people page), unless the user is typing in a field.
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (typing || event.ctrlKey || event.metaKey || event.altKey || !shortcutsOn()) return;
      if (event.key === "/") {
        var search = document.querySelector("form[role=search] input[type=search]");
        if (search) { event.preventDefault(); search.focus(); }
      }
    });
  }

  function setUpFileLimits() {
    // Files over the attachment limits are named as they are chosen, and the form is not
    // sent: the server would refuse them too, but only after the whole upload.
    var inputs = document.querySelectorAll("input[type=file][data-max-file-bytes]");
    Array.prototype.forEach.call(inputs, function (input) {
      var said = document.createElement("p");
      said.className = "error";
      said.id = input.id + "-limits";
      said.setAttribute("role", "alert");
      said.hidden = true;
      input.insertAdjacentElement("afterend", said);

      function problem() {
        var files = Array.prototype.slice.call(input.files || []);
        var most = Number(input.dataset.maxFiles);
        if (files.length > most) return "Choose at most " + most + (most === 1 ? " file." : " files.");
        var large = files.filter(function (file) { return file.size > Number(input.dataset.maxFileBytes); });
        if (!large.length) return "";
        var names = large.map(function (file) { return file.name; }).join(", ");
        return names + (large.length === 1 ? " is" : " are") + " over " +
          input.dataset.maxFileSize + ", the most a file may be.";
      }

      function check() {
        var text = problem();
        said.textContent = text;
        said.hidden = !text;
        input.setAttribute("aria-invalid", text ? "true" : "false");
        return !text;
      }

      input.addEventListener("change", check);
      if (input.form) {
        input.form.addEventListener("submit", function (event) {
          if (!check()) { event.preventDefault(); input.focus(); }
        });
      }
    });
  }

  function setUpPastedFiles() {
    // A screenshot pasted, or files dropped, into a message are attached to it, as if
    // chosen in the form's file field (whose limits are then checked as usual).
    var forms = document.querySelectorAll("form");
    Array.prototype.forEach.call(forms, function (form) {
      var message = form.querySelector("textarea");
      var input = form.querySelector("input[type=file][multiple]");
      if (!message || !input || typeof DataTransfer === "undefined") return;
      var hint = document.createElement("p");
      hint.className = "help";
      hint.textContent = "You can also paste a screenshot, or drop files, into the message.";
      input.insertAdjacentElement("afterend", hint);

      function attach(files) {
        var chosen = new DataTransfer();
        Array.prototype.forEach.call(input.files, function (file) { chosen.items.add(file); });
        Array.prototype.forEach.call(files, function (file) {
          // A pasted screenshot comes as "image.png": named for when it was pasted.
          if (/^image\.\w+$/.test(file.name)) {
            var stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
            file = new File([file], "screenshot-" + stamp + file.name.slice(5), { type: file.type });
          }
          chosen.items.add(file);
        });
        input.files = chosen.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }

      function attachFilesOf(transfer) {
        // The event's files (in its clipboardData or dataTransfer), instead of its text.
        return function (event) {
          var files = event[transfer] && event[transfer].files;
          if (!files || !files.length) return;
          event.preventDefault();
          attach(files);
        };
      }

      message.addEventListener("paste", attachFilesOf("clipboardData"));
      message.addEventListener("drop", attachFilesOf("dataTransfer"));
      message.addEventListener("dragover", function (event) {
        if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
          event.preventDefault();
        }
      });
    });
  }

  function setUpWayBackToTheList() {
    // A ticket page's "← Tickets" returns to the list as it was left (filters, search,
    // page), even after the ticket's own forms have reloaded it. Remembered per tab.
    var key = "ticketdesk.list";
    try {
      if (document.querySelector("form.filters")) {
        sessionStorage.setItem(key, location.pathname + location.search);
        return;
      }
      var back = document.querySelector("a[data-back-to-list]");
      var list = sessionStorage.getItem(key);
      if (!back || !list) return;
      // Only that list, with its filters: never another address.
      var home = new URL(back.href).pathname;
      if (list === home || list.indexOf(home + "?") === 0) back.href = list;
    } catch (error) {
      // Storage refused (private mode, say): the link keeps its plain list.
    }
  }

  function rootOf(word) {
    // A word without an English ending, near enough to the search's stems that the words
    // it found are the words marked: "printing", "prints" and "printed" are all "print",
    // and "jammed", "jamming" and "jams" are "jam".
    var root = word.replace(/(ing|ed|s)$/, "").replace(/([^aeiouylsz])\1$/, "$1");
    return root.length >= 3 ? root : word;
  }

  function fold(text) {
    return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  }

  function markSearchedWords() {
    // A ticket opened from a search shows where the searched words are on it (the CSS
    // Custom Highlight API: the page's text is left as it is), with a button that brings
    // each place into view. Only when the page was opened from the list's search.
    var thread = document.querySelector(".thread");
    var back = document.querySelector("a[data-back-to-list]");
    if (!thread || !back || !window.CSS || !CSS.highlights || typeof Highlight === "undefined") return;
    var from;
    try { from = new URL(document.referrer); } catch (error) { return; }
    if (from.origin !== location.origin || from.pathname !== new URL(back.href).pathname) return;
    // The words as the server cuts them (letters and digits), without case or accents.
    var searched = (fold(from.searchParams.get("q") || "").match(/[\p{L}\p{N}]+/gu) || []);
    // Not the words too common to search for, which the search left out (services/search.py),
    // unless it searched nothing else.
    var common = new Set((back.getAttribute("data-stop-words") || "").split(" "));
    var kept = searched.filter(function (word) { return !common.has(word); });
    var roots = new Set((kept.length ? kept : searched).map(rootOf));
    if (!roots.size) return;

    // The title (a ticket may match by it alone), the messages and the files' names.
    var places = [];
    [document.querySelector(".ticket-head h1"), thread].forEach(function (region) {
      if (!region) return;
      var texts = document.createTreeWalker(region, NodeFilter.SHOW_TEXT);
      for (var node = texts.nextNode(); node; node = texts.nextNode()) {
        var element = node.parentElement;
        if (element.closest(".ticket-id")) continue;
        if (region === thread && !element.closest(".prose, .attachments a")) continue;
        var word, words = /[\p{L}\p{N}]+/gu;
        while ((word = words.exec(node.data))) {
          if (!roots.has(rootOf(fold(word[0])))) continue;
          var range = new Range();
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          places.push(range);
        }
      }
    });
    if (!places.length) return;
    var marked = new Highlight();  // added one by one: a long thread may hold thousands
    places.forEach(function (range) { marked.add(range); });
    CSS.highlights.set("searched-words", marked);

    var said = document.createElement("p");
    said.className = "search-marks";
    var text = document.createElement("span");
    text.setAttribute("role", "status");
    text.textContent = "The words you searched for are marked in " + places.length +
      (places.length === 1 ? " place." : " places.");
    var next = document.createElement("button");
    next.type = "button";
    next.className = "button button-quiet";
    next.textContent = "Show the first";
    var shown = -1;
    next.addEventListener("click", function () {
      shown = (shown + 1) % places.length;
      CSS.highlights.set("searched-word-shown", new Highlight(places[shown]));
      places[shown].startContainer.parentElement.scrollIntoView({ block: "center" });
      text.textContent = "Place " + (shown + 1) + " of " + places.length +
        " marked with the words you searched for.";
      next.textContent = "Show the next";
    });
    said.append(text, next);
    var heading = document.getElementById("conversation-heading");
    (heading || thread).insertAdjacentElement(heading ? "afterend" : "beforebegin", said);
  }

  function foldOnPhones() {
    // A team's per-person counts run to screens on a phone, above the tickets: folded
    // there, a tap away. Without this script they stay open, as on a wider screen.
    if (!window.matchMedia("(max-width: 40rem)").matches) return;
    var folds = document.querySelectorAll("details[data-fold-on-phones]");
    Array.prototype.forEach.call(folds, function (fold) { fold.open = false; });
  }

  function guardUnsentReply() {
    // A message typed (or files chosen) in a ticket's reply form is not lost to another
    // of the page's buttons, nor to leaving the page: the browser asks first. Sending the
    // reply itself never asks. Registered last, so that a submit another handler stopped
    // (files over the limits) does not count as sent.
    var reply = document.querySelector("form[data-unsent-guard]");
    if (!reply) return;
    var message = reply.querySelector("textarea");
    var files = reply.querySelector("input[type=file]");
    var going = false;  // a form is on its way: the page is meant to go

    function unsent() {
      return Boolean((message && message.value.trim()) || (files && files.files && files.files.length));
    }

    reply.addEventListener("submit", function (event) { going = !event.defaultPrevented; });
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if (form === reply) return;
      form.addEventListener("submit", function (event) {
        if (event.defaultPrevented) return;
        if (unsent() && !window.confirm(
          "Your message has not been sent, and will be lost if you go on. Go on without sending it?"
        )) {
          event.preventDefault();
          return;
        }
        going = true;
      });
    });
    window.addEventListener("beforeunload", function (event) {
      if (going || !unsent()) return;
      event.preventDefault();
      event.returnValue = "";  // Chromium asks only when this is set
    });
    // Back to this page from the next (the browser's page cache): it may be left again.
    window.addEventListener("pageshow", function () { going = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    foldOnPhones();
    setUpBulkSelection();
    setUpShortcuts();
    setUpShortcutSwitch();
    setUpFileLimits();
    setUpPastedFiles();
    setUpWayBackToTheList();
    markSearchedWords();
    guardUnsentReply();
  });
})();
