/* dataward cookie banner: our own small script, no framework.
 * <script src="https://dataward.example/static/consent-banner.js" data-org="ORG" defer></script>
 * Reads the banner from the register, asks when the cookie section changes, honours
 * Global Privacy Control, and logs each choice on the server so consent can be proved. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var org = script.getAttribute("data-org");
  var base = new URL(script.src).origin;
  var api = base + "/api/v1/cookie-banner/" + encodeURIComponent(org);
  var storeKey = "dataward-cookie-consent:" + org;

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
      window.localStorage.setItem(storeKey, JSON.stringify({
        policy_version: config.policy_version, choice: choice, visitor: body.visitor, gpc: gpc
      }));
      announce(gpc ? "gpc" : "recorded");
    });
  }

  function allChoices(config, value) {
    var choice = {};
    config.optional.forEach(function (id) { choice[id] = value; });
    return choice;
  }

  function show(config) {
    var text = config.text;
    var banner = el("section", { "class": "dw-cookie-banner", role: "region", "aria-labelledby": "dw-cookie-title", "aria-describedby": "dw-cookie-intro" });
    var title = el("h2", { id: "dw-cookie-title", tabindex: "-1" }, text.title);
    banner.appendChild(title);
    banner.appendChild(el("p", { id: "dw-cookie-intro" }, text.intro));
    var list = el("fieldset", { "class": "dw-cookie-categories" });
    list.appendChild(el("legend", {}, "Choose which cookies we may use"));
    text.categories.forEach(function (c) {
      var row = el("div", { "class": "dw-cookie-category" });
      var box = el("input", { type: "checkbox", id: "dw-cookie-" + c.id, name: c.id, "aria-describedby": "dw-cookie-desc-" + c.id });
      if (!c.optional) { box.checked = true; box.disabled = true; }
      var label = el("label", { "for": "dw-cookie-" + c.id }, c.name + (c.optional ? "" : " (always on)"));
      row.appendChild(box);
      row.appendChild(label);
      row.appendChild(el("p", { id: "dw-cookie-desc-" + c.id, "class": "dw-cookie-desc" }, c.description));
      list.appendChild(row);
    });
    banner.appendChild(list);
    var actions = el("div", { "class": "dw-cookie-actions" });
    // Accept and Reject look the same and sit side by side: neither is nudged.
    var accept = el("button", { type: "button", "class": "dw-cookie-button" }, text.accept);
    var reject = el("button", { type: "button", "class": "dw-cookie-button" }, text.reject);
    var save = el("button", { type: "button", "class": "dw-cookie-button dw-cookie-button--save" }, text.save);
    actions.appendChild(accept);
    actions.appendChild(reject);
    actions.appendChild(save);
    banner.appendChild(actions);
    var status = el("p", { role: "status", "class": "dw-cookie-status" });
    banner.appendChild(status);
    if (text.policy_url) {
      var more = el("p", {});
      more.appendChild(el("a", { href: text.policy_url }, "Read the cookie policy"));
      banner.appendChild(more);
    }
    function finish(choice) {
      [accept, reject, save].forEach(function (b) { b.disabled = true; });
      send(config, choice, false).then(function () {
        banner.remove();
      }, function () {
        status.textContent = "Your choice could not be saved. Please try again.";
        [accept, reject, save].forEach(function (b) { b.disabled = false; });
      });
    }
    accept.addEventListener("click", function () { finish(allChoices(config, true)); });
    reject.addEventListener("click", function () { finish(allChoices(config, false)); });
    save.addEventListener("click", function () {
      var choice = {};
      config.optional.forEach(function (id) { choice[id] = document.getElementById("dw-cookie-" + id).checked; });
      finish(choice);
    });
    document.body.insertBefore(banner, document.body.firstChild);
    announce("asked");
    title.focus();
  }

  function start() {
    var sheet = el("link", { rel: "stylesheet", href: base + "/static/consent-banner.css" });
    document.head.appendChild(sheet);
    fetch(api).then(function (reply) { return reply.json(); }).then(function (config) {
      var previous = stored();
      var current = previous && previous.policy_version === config.policy_version;
      if (navigator.globalPrivacyControl === true || config.gpc) {
        // GPC is a refusal the page must honour: no banner, optional cookies off.
        if (current && previous.gpc) { announce("gpc"); return; }
        return send(config, allChoices(config, false), true);
      }
      if (current) { announce("known"); return; }
      show(config);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
