// Renders /openapi.json without any external resource: operations grouped
// by tag, their parameters, bodies and responses, and the schemas.
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
  const operation = (path, method, op) => el("details", { class: "op", id: "op-" + op.operationId },
    el("summary", {}, el("span", { class: "m " + method }, method), el("code", {}, path), el("span", {}, op.summary || "")),
    el("div", { class: "body" },
      op.description ? el("p", {}, op.description) : null,
      params(op.parameters),
      op.requestBody ? el("div", {}, el("h4", {}, "Request body" + (resolve(op.requestBody).required ? " (required)" : " (optional)")),
        resolve(op.requestBody).description ? el("p", {}, resolve(op.requestBody).description) : null,
        content(resolve(op.requestBody).content)) : null,
      el("h4", {}, "Responses"), responses(op.responses)));
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
