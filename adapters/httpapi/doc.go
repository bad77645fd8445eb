// Package httpapi is ADE's HTTP API adapter on Fiber v2: it turns requests
// under /api/v1 into calls of the use cases in package app and renders their
// results as the JSON documented in openapi.json, which it also serves
// (/openapi.json) and renders offline (/docs).
//
// Handlers stay thin: parse, call one use case, render. Every error goes
// through one error handler that maps it, with errors.Is / errors.As over a
// single table, to a status and a stable code rendered as RFC 9457
// application/problem+json. Uploads and downloads stream with bounded
// memory; job events can be followed as Server-Sent Events. Operations
// endpoints (/health/live, /health/ready, /metrics) need no credentials.
package httpapi
