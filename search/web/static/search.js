// Progressive enhancement of the server-rendered search page. Without this file the
// page works the same through plain links and the form; with it, results follow the
// typing, suggestions come from /api/suggest, and filters apply without a reload.
// Every state stays in the URL (history.pushState), so Back, reload and sharing work.
"use strict";

(() => {
  const TYPE_DELAY = 200;     // ms after the last keystroke before searching
  const SUGGEST_DELAY = 90;   // ms before asking for suggestions
  let generation = 0;         // increases per navigation: late answers are dropped
  let controller = null;      // aborts the request a newer one replaces

  const $ = (selector, root = document) => root.querySelector(selector);

  function debounce(fn, wait) {
    let timer = 0;
    const debounced = (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), wait); };
    debounced.cancel = () => clearTimeout(timer);
    return debounced;
  }

  function formUrl(form) {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim() !== "") params.append(name, String(value).trim());
    }
    const query = params.toString();
    return query ? `/?${query}` : "/";
  }

  // Fetch the page for `url`, swap its <main>, and record the URL.
  // history: "push" (a new step Back returns from), "replace" (typing refines the
  // current step rather than adding one per keystroke) or "none" (Back itself).
  async function navigate(url, { history: mode = "push", keepFocus = false } = {}) {
    const mine = ++generation;
    if (controller) controller.abort();
    controller = new AbortController();
    document.body.classList.add("loading");
    let html;
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "text/html" } });
      html = await response.text(); // the body can be cut off too, by a newer navigation
    } catch (error) {
      if (error.name !== "AbortError") window.location.assign(url); // network trouble: plain load
      return;
    }
    if (mine !== generation) return; // a newer navigation started meanwhile
    const doc = new DOMParser().parseFromString(html, "text/html");
    const fresh = $("#main", doc);
    if (!fresh) { window.location.assign(url); return; }
    // A phone's open Filters panel stays open while filters are ticked one by one.
    const filters = $("#filters");
    if (filters && filters.open && $("#filters", fresh)) $("#filters", fresh).open = true;
    $("#main").replaceWith(fresh);
    document.title = doc.title;
    syncForm(doc, mode === "none");
    if (url !== location.pathname + location.search) {
      if (mode === "push") history.pushState({}, "", url);
      else if (mode === "replace") history.replaceState({}, "", url);
    }
    document.body.classList.remove("loading");
    wireMain();
    if (!keepFocus) { const heading = $("#results"); if (heading) heading.focus({ preventScroll: true }); }
  }

  // The header form's hidden fields (filters, dates, settings) follow the new page, so
  // typing keeps them. The box keeps what is being typed, except when Back or Forward
  // chose the state.
  function syncForm(doc, fromHistory) {
    const form = $("#search-form");
    const incoming = $("#search-form", doc);
    if (!form || !incoming) return;
    for (const input of form.querySelectorAll("input[type=hidden]")) input.remove();
    for (const input of incoming.querySelectorAll("input[type=hidden]")) {
      form.insertBefore(document.importNode(input, true), $("button[type=submit]", form));
    }
    const q = $("#q", form);
    if (fromHistory || document.activeElement !== q) q.value = $("#q", incoming).value;
  }

  function wireMain() {
    const main = $("#main");
    main.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='/']");
      if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
        event.preventDefault();
        navigate(link.getAttribute("href"));
      }
    });
    // The date form in the filters: the browser has checked its fields by now.
    main.addEventListener("submit", (event) => {
      event.preventDefault();
      navigate(formUrl(event.target));
    });
    const results = $("#results");
    if (results) results.setAttribute("tabindex", "-1");
    for (const image of main.querySelectorAll(".thumb img")) {
      // An offline or moved picture: the placeholder behind it shows (it does without
      // this too; this also drops the broken image from the accessibility tree).
      const failed = () => image.closest(".thumb").classList.add("failed");
      image.addEventListener("error", failed);
      if (image.complete && image.naturalWidth === 0 && image.currentSrc) failed();
    }
  }

  function setupSuggestions(form, input, cancelTyping) {
    const list = $("#suggestions");
    let items = [];
    let active = -1;
    let asked = 0;

    function close() {
      list.hidden = true; list.replaceChildren(); items = []; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      items.forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
      if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
      else input.removeAttribute("aria-activedescendant");
    }

    function choose(item) {
      const { kind, text } = item.dataset;
      close();
      cancelTyping(); // the choice replaces the search the last keystroke scheduled
      if (kind === "topic" || kind === "provider") {
        const params = new URLSearchParams(location.search);
        params.delete("page");
        const typed = input.value.trim().split(/\s+/);
        typed.pop(); // the partial word became the filter
        input.value = typed.join(" ");
        if (input.value) params.set("q", input.value); else params.delete("q");
        params.append(kind, text);
        navigate(`/?${params}`);
      } else {
        input.value = text;
        navigate(formUrl(form), { keepFocus: true });
      }
    }

    const ask = debounce(async () => {
      const typed = input.value.trim();
      const mine = ++asked;
      if (!typed) { close(); return; }
      let body;
      try {
        const response = await fetch(`/api/suggest?${new URLSearchParams({ q: typed, limit: "8" })}`);
        if (!response.ok) { close(); return; }
        body = await response.json();
      } catch { close(); return; }
      if (mine !== asked) return; // stale
      list.replaceChildren();
      items = body.suggestions.map((suggestion, index) => {
        const li = document.createElement("li");
        li.id = `suggestion-${index}`;
        li.setAttribute("role", "option");
        li.dataset.kind = suggestion.kind;
        li.dataset.text = suggestion.text;
        const text = document.createElement("span");
        text.textContent = suggestion.text; // text, never HTML
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = suggestion.kind;
        li.append(text, kind);
        li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(li); });
        list.append(li);
        return li;
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", String(items.length > 0));
      highlight(-1);
    }, SUGGEST_DELAY);

    input.addEventListener("keydown", (event) => {
      if (list.hidden || items.length === 0) {
        if (event.key === "Escape") close();
        return;
      }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active <= 0 ? items.length - 1 : active - 1); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(items[active]); }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
    return { ask, close };
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = $("#search-form");
    const input = $("#q");
    if (!form || !input || !window.fetch || !window.history.pushState) return;
    const suggestions = setupSuggestions(form, input, () => searchAsYouType.cancel());
    const searchAsYouType = debounce(
      () => navigate(formUrl(form), { history: typing ? "replace" : "push", keepFocus: true })
        .then(() => { typing = true; }),
      TYPE_DELAY,
    );
    let typing = false; // after the first typed search, further typing refines that step
    document.addEventListener("click", () => { typing = false; }, true);
    input.addEventListener("input", () => { suggestions.ask(); searchAsYouType(); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      suggestions.close();
      searchAsYouType.cancel();
      typing = false;
      navigate(formUrl(form), { history: "push", keepFocus: true });
    });
    window.addEventListener("popstate", () => {
      typing = false;
      navigate(location.pathname + location.search, { history: "none" });
    });
    wireMain();
  });
})();
