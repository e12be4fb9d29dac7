/* dataward cookie banner: our own small script, no framework.
 * <script src="https://dataward.example/static/consent-banner.js" data-org="ORG" defer></script>
 * Reads the banner from the register, asks when the cookie section changes, honours
 * Global Privacy Control, and logs each choice on the server so consent can be proved.
 * Only strictly necessary cookies are always on (MKT-05): a low-risk use exempt from
 * consent starts on with an off switch, the rest start off. A "Cookie settings" link on
 * every page (any element with data-dw-cookie-settings, or one this script adds) reopens
 * the choices. The banner sits in the page's flow at the top, never over its content. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var org = script.getAttribute("data-org");
  var base = new URL(script.src).origin;
  var api = base + "/api/v1/cookie-banner/" + encodeURIComponent(org);
  var storeKey = "dataward-cookie-consent:" + org;
  var open = null;

  function stored() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
  }
  function visitorId() {
    var old = stored();
    if (old && old.visitor) { return old.visitor; }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }
  function announce(done) {
    document.documentElement.setAttribute("data-cookie-consent", done);
    document.dispatchEvent(new CustomEvent("dataward:cookie-consent", { detail: done }));
  }
  function remember(config, choice, visitor, gpc) {
    window.localStorage.setItem(storeKey, JSON.stringify({
      policy_version: config.policy_version, choice: choice, visitor: visitor, gpc: gpc
    }));
  }

  function send(config, choice, gpc) {
    var body = {
      policy_version: config.policy_version, text_hash: config.text_hash, token: config.token,
      choice: choice, visitor: visitorId(), gpc: gpc
    };
    return fetch(api + "/consents", {
      method: "POST", body: JSON.stringify(body), keepalive: true,
      headers: { "Content-Type": "text/plain" }
    }).then(function (reply) {
      if (!reply.ok) { throw new Error("consent not recorded: " + reply.status); }
      remember(config, choice, body.visitor, gpc);
      announce(gpc ? "gpc" : "recorded");
    });
  }

  function allChoices(config, value) {
    var choice = {};
    config.optional.forEach(function (id) { choice[id] = value; });
    return choice;
  }

  function category(c, previous) {
    var row = el("div", { "class": "dw-cookie-category" });
    var desc = el("p", { id: "dw-cookie-desc-" + c.id, "class": "dw-cookie-desc" },
      [c.description, c.kind_words].filter(Boolean).join(" "));
    if (!c.optional) {
      // Strictly necessary: nothing to switch, so no switch is drawn.
      row.appendChild(el("p", { "class": "dw-cookie-name" }, c.name + " (always on)"));
      row.appendChild(desc);
      return row;
    }
    var box = el("input", { type: "checkbox", id: "dw-cookie-" + c.id, name: c.id, "aria-describedby": "dw-cookie-desc-" + c.id });
    var chosen = previous && previous.choice && Object.prototype.hasOwnProperty.call(previous.choice, c.id);
    box.checked = chosen ? previous.choice[c.id] === true : c.kind === "exempt";
    row.appendChild(box);
    row.appendChild(el("label", { "for": "dw-cookie-" + c.id }, c.name));
    row.appendChild(desc);
    return row;
  }

  function show(config, previous) {
    if (open) { open.remove(); }
    var text = config.text;
    var banner = el("section", { "class": "dw-cookie-banner", role: "region", "aria-labelledby": "dw-cookie-title", "aria-describedby": "dw-cookie-intro" });
    open = banner;
    var title = el("h2", { id: "dw-cookie-title", tabindex: "-1" }, text.title);
    banner.appendChild(title);
    banner.appendChild(el("p", { id: "dw-cookie-intro" }, text.intro));
    var status = el("p", { role: "status", "class": "dw-cookie-status" });
    var actions = el("div", { "class": "dw-cookie-actions" });
    var buttons = [];
    function button(label, extra) {
      var b = el("button", { type: "button", "class": "dw-cookie-button" + (extra || "") }, label);
      buttons.push(b);
      return b;
    }
    function close() {
      banner.remove();
      open = null;
    }
    function finish(choice) {
      buttons.forEach(function (b) { b.disabled = true; });
      send(config, choice, false).then(close, function () {
        status.textContent = "Your choice could not be saved. Please try again.";
        buttons.forEach(function (b) { b.disabled = false; });
      });
    }
    if (text.nothing_to_choose) {
      // No cookie can be turned off: say what is used and offer nothing to choose.
      banner.appendChild(el("p", {}, text.nothing_to_choose));
      text.categories.forEach(function (c) { banner.appendChild(category(c, previous)); });
      var ok = button(text.ok);
      ok.addEventListener("click", function () {
        remember(config, {}, visitorId(), false);
        announce("acknowledged");
        close();
      });
      actions.appendChild(ok);
      banner.appendChild(actions);
    } else {
      // Accept and Reject look the same, sit side by side and come first, so they are in
      // view on a small screen: neither is nudged.
      var accept = button(text.accept);
      var reject = button(text.reject);
      actions.appendChild(accept);
      actions.appendChild(reject);
      banner.appendChild(actions);
      var list = el("fieldset", { "class": "dw-cookie-categories" });
      list.appendChild(el("legend", {}, "Or choose which cookies we may use"));
      text.categories.forEach(function (c) { list.appendChild(category(c, previous)); });
      banner.appendChild(list);
      var save = button(text.save, " dw-cookie-button--save");
      var saveRow = el("div", { "class": "dw-cookie-actions" });
      saveRow.appendChild(save);
      banner.appendChild(saveRow);
      accept.addEventListener("click", function () { finish(allChoices(config, true)); });
      reject.addEventListener("click", function () { finish(allChoices(config, false)); });
      save.addEventListener("click", function () {
        var choice = {};
        config.optional.forEach(function (id) { choice[id] = document.getElementById("dw-cookie-" + id).checked; });
        finish(choice);
      });
    }
    banner.appendChild(status);
    if (text.policy_url) {
      var more = el("p", {});
      more.appendChild(el("a", { href: text.policy_url }, "Read the cookie policy"));
      banner.appendChild(more);
    }
    // In the page's flow, first: it pushes the page down rather than covering it.
    document.body.insertBefore(banner, document.body.firstChild);
    announce("asked");
    title.focus();
  }

  function settingsLinks(config) {
    var links = document.querySelectorAll("[data-dw-cookie-settings]");
    if (!links.length) {
      // The organisation's page has no link of its own: add one at its foot.
      var foot = el("p", { "class": "dw-cookie-settings" });
      var added = el("a", { href: "#dw-cookie-settings", "data-dw-cookie-settings": "" }, config.text.settings);
      foot.appendChild(added);
      document.body.appendChild(foot);
      links = [added];
    }
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        show(config, stored());
        window.scrollTo(0, 0);
      });
    });
  }

  function start() {
    var sheet = el("link", { rel: "stylesheet", href: base + "/static/consent-banner.css" });
    document.head.appendChild(sheet);
    fetch(api).then(function (reply) { return reply.json(); }).then(function (config) {
      settingsLinks(config);
      var previous = stored();
      var current = previous && previous.policy_version === config.policy_version;
      if (/^#cookie-settings$/.test(window.location.hash)) { show(config, previous); return; }
      if (config.optional.length && (navigator.globalPrivacyControl === true || config.gpc)) {
        // GPC is a refusal the page must honour: no banner, every switchable cookie off.
        if (current && previous.gpc) { announce("gpc"); return; }
        return send(config, allChoices(config, false), true);
      }
      if (current) { announce("known"); return; }
      show(config, null);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
