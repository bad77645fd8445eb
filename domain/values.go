package domain

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits that keep rows small whatever the client or the extractor sends.
const (
	// MaxMetadataBytes bounds a document's metadata, measured as compact JSON.
	MaxMetadataBytes = 64 << 10
	// MaxFilenameBytes bounds a stored filename.
	MaxFilenameBytes = 255
	// DefaultFilename replaces a filename that normalises to nothing.
	DefaultFilename = "upload"
	// MaxDeleteReasonChars bounds a document's delete reason.
	MaxDeleteReasonChars = 1024
	// MaxJSONDepth bounds the nesting of metadata and payload objects.
	MaxJSONDepth = 32
)

// NormalizeFilename makes a client-supplied filename safe to store and to
// echo back: only the last path element is kept (both / and \ separate),
// control characters, bidirectional formatting characters (which can make
// a name display as another: "invoice\u202Efdp.exe") and invalid UTF-8 are
// removed, surrounding spaces are trimmed, "." and ".." become empty, the result is cut to at most 255 bytes
// on a rune boundary, and an empty result becomes "upload".
func NormalizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidiControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "/" || name == "." || name == ".." {
		name = ""
	}
	for len(name) > MaxFilenameBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return DefaultFilename
	}
	return name
}

// CloneMap returns a deep copy of a JSON-shaped map (maps, slices and
// scalars), so aggregates never share mutable state with callers.
func CloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return CloneMap(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = cloneValue(x)
		}
		return out
	case []string:
		return append([]string(nil), t...)
	case []map[string]any:
		out := make([]map[string]any, len(t))
		for i, x := range t {
			out[i] = CloneMap(x)
		}
		return out
	default:
		return v
	}
}

func cloneRows(rows []map[string]any) []map[string]any {
	if rows == nil {
		return nil
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = CloneMap(r)
	}
	return out
}

// Actor is who caused a change: a user, an API key, the system or a worker.
type Actor struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Actor types recorded on events.
const (
	ActorSystem = "system"
	ActorAPIKey = "api_key"
	ActorUser   = "user"
)

// SystemActor is the actor of changes no caller asked for (sweeps, start-up).
var SystemActor = Actor{Type: ActorSystem, ID: "system", Label: "system"}
