package httpapi

import (
	"embed"

	"github.com/gofiber/fiber/v2"
)

// OpenAPI is the OpenAPI 3.0 document describing this adapter, served at
// /openapi.json. The component specs validate every request and response
// against it.
//
//go:embed openapi.json
var OpenAPI []byte

// static holds the offline documentation page and its script.
//
//go:embed static
var static embed.FS

func serveOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(OpenAPI)
}

// docsCSP keeps the docs page from loading anything but itself.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:"

func serveDocs(c *fiber.Ctx) error {
	b, err := static.ReadFile("static/docs.html")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Security-Policy", docsCSP)
	return c.Send(b)
}

var assetTypes = map[string]string{
	"docs.js":  "text/javascript; charset=utf-8",
	"docs.css": "text/css; charset=utf-8",
}

func serveDocsAsset(c *fiber.Ctx) error {
	name := c.Params("asset")
	ct, known := assetTypes[name]
	if !known {
		return fiber.ErrNotFound
	}
	b, err := static.ReadFile("static/" + name)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set("Content-Security-Policy", docsCSP)
	return c.Send(b)
}
