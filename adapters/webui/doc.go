// Package webui is ADE's operator web UI: a driving adapter beside the
// HTTP API (adapters/httpapi) over the same use cases (app) and the same
// permission table (domain.APIKey.Authorize).
//
// Pages are rendered on the server with html/template from embedded
// templates; the browser gets one stylesheet, one small script of ADE's
// own (upload progress, live job status) and htmx, vendored with its
// version and checksum (assets/htmx.min.js.sha256). Nothing is loaded from
// elsewhere and the Content-Security-Policy allows no inline script or
// style.
//
// A person signs in with an API key. The key travels in a session cookie
// (HttpOnly, SameSite=Strict, Secure behind TLS) sealed with AES-256-GCM
// under a key derived from the session secret, so every process given the
// same secret accepts the session, and the server keeps no session state.
// Every request authenticates the sealed key again through app.Keys (with
// its cache), so a revoked key's session ends within the key cache TTL.
// Every form carries a CSRF token bound to the session.
package webui
