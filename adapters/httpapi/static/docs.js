// Renders /openapi.json without any external resource: operations grouped
// by tag, their parameters, bodies and responses, and the schemas. A reader
// can paste an API key and try each operation from the page: the key stays
// in this tab's memory (and in sessionStorage only if asked), and is sent
// only to this server.
"use strict";
(function () {
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const k of kids.flat()) {
      if (k == null) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  };
  let spec;
  const resolve = (o) => {
    while (o && o.$ref) {
      o = o.$ref.replace(/^#\//, "").split("/").reduce((a, p) => a && a[p], spec);
    }
    return o || {};
  };
  const refName = (o) => (o && o.$ref ? o.$ref.split("/").pop() : null);
  const typeOf = (s) => {
    if (!s) return "";
    const n = refName(s);
    if (n) return el("a", { href: "#schema-" + n }, n);
    if (s.type === "array") return el("span", {}, "array of ", typeOf(s.items));
    let t = s.type || "any";
    if (s.format) t += " (" + s.format + ")";
    if (s.enum) t += ": " + s.enum.join(" | ");
    if (s.nullable) t += ", nullable";
    if (s.pattern) t += " /" + s.pattern + "/";
    if (s.minimum !== undefined || s.maximum !== undefined) t += " [" + (s.minimum ?? "") + ".." + (s.maximum ?? "") + "]";
    if (s.maxLength !== undefined) t += " max " + s.maxLength + " chars";
    return t;
  };
  const content = (c) => Object.entries(c || {}).map(([mt, m]) =>
    el("div", {}, el("code", {}, mt), " ", typeOf(m.schema)));
  const params = (ps) => {
    if (!ps || !ps.length) return null;
    return el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")),
      ps.map(resolve).map((p) => el("tr", {},
        el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " *") : null),
        el("td", {}, p.in), el("td", {}, typeOf(p.schema)), el("td", {}, p.description || ""))));
  };
  const responses = (rs) => el("table", {},
    el("tr", {}, el("th", {}, "status"), el("th", {}, "description"), el("th", {}, "headers"), el("th", {}, "body")),
    Object.entries(rs).map(([code, r]) => {
      r = resolve(r);
      return el("tr", {}, el("td", { class: "status" }, code), el("td", {}, r.description || ""),
        el("td", {}, Object.keys(r.headers || {}).map((h) => el("div", {}, el("code", {}, h)))),
        el("td", {}, content(r.content)));
    }));
  // ---- trying requests ----
  let apiKey = sessionStorage.getItem("ade.api_key") || "";
  const keyBar = () => {
    const input = el("input", { type: "password", id: "api-key", placeholder: "ade_...", autocomplete: "off", spellcheck: "false" });
    input.value = apiKey;
    const remember = el("input", { type: "checkbox", id: "remember-key" });
    remember.checked = sessionStorage.getItem("ade.api_key") !== null;
    const save = () => {
      apiKey = input.value.trim();
      if (remember.checked && apiKey) sessionStorage.setItem("ade.api_key", apiKey);
      else sessionStorage.removeItem("ade.api_key");
    };
    input.addEventListener("input", save);
    remember.addEventListener("change", save);
    return el("div", { class: "keybar" },
      el("label", { for: "api-key" }, "API key "), input, " ",
      el("label", {}, remember, " remember in this tab"),
      el("span", { class: "hint" }, " Sent as Authorization: Bearer to this server only, by the Try it forms below."));
  };
  const example = (s, depth) => {
    s = resolve(s);
    if (depth > 4) return null;
    if (s.example !== undefined) return s.example;
    if (s.enum) return s.enum[0];
    switch (s.type) {
      case "object": {
        const o = {};
        for (const k of s.required || []) o[k] = example((s.properties || {})[k], depth + 1);
        return o;
      }
      case "array": return [];
      case "integer": case "number": return 0;
      case "boolean": return false;
      default: return "";
    }
  };
  const tryIt = (path, method, op) => {
    const ps = (op.parameters || []).map(resolve).filter((p) => p.in === "path" || p.in === "query");
    const fields = ps.map((p) => {
      const input = el("input", { type: "text", name: p.name, placeholder: p.in === "path" ? "required" : "optional" });
      return { p, input, row: el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, input)) };
    });
    const rb = op.requestBody ? resolve(op.requestBody) : null;
    const bodyTypes = rb ? Object.keys(rb.content || {}) : [];
    let bodyInput = null, fileInput = null, formInputs = [];
    if (bodyTypes.includes("application/json")) {
      bodyInput = el("textarea", { rows: "6", spellcheck: "false" });
      bodyInput.value = JSON.stringify(example(rb.content["application/json"].schema, 0), null, 2);
    } else if (bodyTypes.includes("multipart/form-data")) {
      const schema = resolve(rb.content["multipart/form-data"].schema);
      for (const name of Object.keys(schema.properties || {})) {
        if (name === "file") fileInput = el("input", { type: "file" });
        else formInputs.push({ name, input: el("input", { type: "text", placeholder: "optional" }) });
      }
    }
    const out = el("pre", { class: "out" });
    const send = el("button", { type: "button" }, "Send");
    send.addEventListener("click", async () => {
      let url = path;
      const query = new URLSearchParams();
      for (const f of fields) {
        const v = f.input.value.trim();
        if (f.p.in === "path") url = url.replace("{" + f.p.name + "}", encodeURIComponent(v));
        else if (v !== "") query.set(f.p.name, v);
      }
      if ([...query].length) url += "?" + query;
      const init = { method: method.toUpperCase(), headers: {} };
      if (apiKey && !(op.security && op.security.length === 0)) init.headers["Authorization"] = "Bearer " + apiKey;
      if (bodyInput && bodyInput.value.trim() !== "") {
        init.headers["Content-Type"] = "application/json";
        init.body = bodyInput.value;
      } else if (fileInput) {
        const fd = new FormData();
        for (const f of formInputs) if (f.input.value.trim() !== "") fd.append(f.name, f.input.value.trim());
        if (fileInput.files[0]) fd.append("file", fileInput.files[0]);
        init.body = fd;
      }
      out.textContent = "...";
      try {
        const res = await fetch(url, init);
        const text = init.method === "HEAD" ? "" : await res.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
        const hs = [];
        res.headers.forEach((v, k) => hs.push(k + ": " + v));
        out.textContent = res.status + " " + res.statusText + "\n" + hs.join("\n") + "\n\n" + shown.slice(0, 100000);
      } catch (e) {
        out.textContent = "request failed: " + e;
      }
    });
    return el("div", { class: "try" }, el("h4", {}, "Try it"),
      fields.length ? el("table", {}, fields.map((f) => f.row)) : null,
      bodyInput ? el("div", {}, el("div", {}, "Body (application/json)"), bodyInput) : null,
      fileInput ? el("div", {}, el("div", {}, "file "), fileInput, formInputs.map((f) => el("div", {}, f.name + " ", f.input))) : null,
      send, out);
  };
  const permission = (op) => {
    const p = op["x-ade-permission"];
    if (!p) return op.security && op.security.length === 0 ? el("p", { class: "perm" }, "No API key needed.") : null;
    const roles = p.roles.length ? p.roles.join(", ") + " of the workspace, or a global admin key" : "global admin keys only";
    return el("p", { class: "perm" }, "Needs an API key: ", roles, " (", el("code", {}, p.action), ").");
  };
  const operation = (path, method, op) => el("details", { class: "op", id: "op-" + op.operationId },
    el("summary", {}, el("span", { class: "m " + method }, method), el("code", {}, path), el("span", {}, op.summary || "")),
    el("div", { class: "body" },
      permission(op),
      op.description ? el("p", {}, op.description) : null,
      params(op.parameters),
      op.requestBody ? el("div", {}, el("h4", {}, "Request body" + (resolve(op.requestBody).required ? " (required)" : " (optional)")),
        resolve(op.requestBody).description ? el("p", {}, resolve(op.requestBody).description) : null,
        content(resolve(op.requestBody).content)) : null,
      el("h4", {}, "Responses"), responses(op.responses),
      tryIt(path, method, op)));
  const schema = (name, s) => el("div", { id: "schema-" + name },
    el("h3", {}, name), s.description ? el("p", {}, s.description) : null,
    s.properties ? el("table", {}, el("tr", {}, el("th", {}, "member"), el("th", {}, "type"), el("th", {}, "description")),
      Object.entries(s.properties).map(([k, v]) => el("tr", {},
        el("td", {}, el("code", {}, k), (s.required || []).includes(k) ? el("span", { class: "req" }, " *") : null),
        el("td", {}, typeOf(v)), el("td", {}, resolve(v).description || "")))) : el("p", {}, typeOf(s)));
  fetch("/openapi.json").then((r) => r.json()).then((doc) => {
    spec = doc;
    document.title = doc.info.title;
    document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
    document.getElementById("intro").append(...doc.info.description.split("\n").map((l) => el("p", {}, l)));
    document.getElementById("key").append(keyBar());
    const byTag = {};
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags || ["other"])[0];
        (byTag[tag] = byTag[tag] || []).push(operation(path, method, op));
      }
    }
    const ops = document.getElementById("operations");
    const toc = document.getElementById("toc");
    for (const [tag, list] of Object.entries(byTag)) {
      toc.append(el("a", { href: "#tag-" + tag }, tag));
      ops.append(el("h2", { id: "tag-" + tag }, tag), ...list);
    }
    toc.append(el("a", { href: "#problems" }, "problems"), el("a", { href: "#schemas" }, "schemas"));
    const sc = document.getElementById("schemas");
    sc.append(el("h2", {}, "Schemas"), ...Object.entries(doc.components.schemas).map(([n, s]) => schema(n, s)));
    if (location.hash) {
      const t = document.getElementById(location.hash.slice(1));
      if (t) t.scrollIntoView();
    }
  }).catch((e) => {
    document.getElementById("operations").append(el("p", {}, "Could not load /openapi.json: " + e));
  });
})();
