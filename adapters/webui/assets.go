package webui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed assets/*.js assets/*.css assets/*.sha256 assets/*.svg
var assetFS embed.FS

//go:embed templates/*.html
var templateFS embed.FS

// asset is one embedded file served under /ui/assets/.
type asset struct {
	body        []byte
	contentType string
	// version is a prefix of the file's sha256: URLs carry it, so a
	// changed file is a new URL and files can be cached for a year.
	version string
}

// assetSet is every asset by name.
type assetSet struct {
	byName map[string]*asset
}

// HTMXVersion is the vendored htmx release (assets/VENDORED.md).
const HTMXVersion = "2.0.11"

var assetTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
}

// loadAssets reads the embedded assets and checks the vendored htmx
// against its recorded checksum.
func loadAssets() (*assetSet, error) {
	set := &assetSet{byName: map[string]*asset{}}
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		ct, ok := assetTypes[path.Ext(e.Name())]
		if !ok {
			continue
		}
		b, err := assetFS.ReadFile("assets/" + e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		set.byName[e.Name()] = &asset{body: b, contentType: ct, version: hex.EncodeToString(sum[:])[:12]}
	}
	if err := VerifyVendored(); err != nil {
		return nil, err
	}
	return set, nil
}

// VerifyVendored checks every vendored file against the checksum recorded
// beside it.
func VerifyVendored() error {
	rec, err := assetFS.ReadFile("assets/htmx.min.js.sha256")
	if err != nil {
		return fmt.Errorf("webui: %w", err)
	}
	want, _, _ := strings.Cut(strings.TrimSpace(string(rec)), " ")
	b, err := assetFS.ReadFile("assets/htmx.min.js")
	if err != nil {
		return fmt.Errorf("webui: %w", err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("webui: assets/htmx.min.js has sha256 %s, but %s is recorded", got, want)
	}
	return nil
}

// url returns the versioned URL of an asset.
func (a *assetSet) url(name string) string {
	if x, ok := a.byName[name]; ok {
		return "/ui/assets/" + name + "?v=" + x.version
	}
	return "/ui/assets/" + name
}

// asset serves GET /ui/assets/:name.
func (s *server) asset(c *fiber.Ctx) error {
	a, ok := s.assets.byName[c.Params("name")]
	if !ok {
		return c.SendStatus(fiber.StatusNotFound)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	c.Set("X-Content-Type-Options", "nosniff")
	if c.Query("v") == a.version {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	etag := `"` + a.version + `"`
	c.Set(fiber.HeaderETag, etag)
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(a.body)
}
