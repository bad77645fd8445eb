package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxNumberDigits bounds the digits of one JSON number in plain decimal
// notation: every store keeps such a number exactly.
const MaxNumberDigits = 1000

// JSONError is a refused JSON value. Path locates it inside the object
// ("a.b[2]"), empty when the object as a whole is at fault.
type JSONError struct {
	Path    string
	Message string
}

// Error implements error.
func (e *JSONError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// jsonFieldError names a JSON validation error as a field under field
// ("metadata" + "a.b" = "metadata.a.b").
func jsonFieldError(field string, err error) FieldError {
	var je *JSONError
	if errors.As(err, &je) {
		return FieldError{Field: JoinFieldPath(field, je.Path), Message: je.Message}
	}
	return FieldError{Field: field, Message: err.Error()}
}

// JoinFieldPath joins a field path and a path inside it: "metadata" and
// "a.b" give "metadata.a.b", "payload" and "[2]" give "payload[2]"; either
// may be empty.
func JoinFieldPath(prefix, path string) string {
	switch {
	case path == "":
		return prefix
	case prefix == "":
		return path
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}

// ValidateJSONObject checks that v is a JSON-compatible object (nil counts
// as empty) of at most maxBytes as compact JSON (no bound when maxBytes is
// 0) and at most MaxJSONDepth levels deep, whose strings and keys hold no
// NUL (which PostgreSQL's jsonb cannot store), and returns a normalised deep
// copy. Numbers come back as json.Number in plain decimal notation, exactly
// as given otherwise (1.5e3 -> 1500, 0.10 -> 0.10, -0 -> 0: the form
// PostgreSQL's numeric keeps), so every store returns the same digits; a
// number of more than MaxNumberDigits digits is refused. Errors are
// *JSONError naming the path of the fault.
func ValidateJSONObject(v map[string]any, maxBytes int) (map[string]any, error) {
	return normalizeJSONObject(v, maxBytes, false)
}

// ScrubJSONObject is ValidateJSONObject for data ADE did not choose (what
// an extractor returns): NUL in strings and keys becomes U+FFFD instead of
// being refused, as ScrubText does for plain text.
func ScrubJSONObject(v map[string]any, maxBytes int) (map[string]any, error) {
	return normalizeJSONObject(v, maxBytes, true)
}

func normalizeJSONObject(v map[string]any, maxBytes int, scrub bool) (map[string]any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	if out, size, ok := plainJSON(v, 0); ok && (maxBytes <= 0 || size <= maxBytes) {
		return out.(map[string]any), nil
	}
	return normalizeEncoded(v, maxBytes, scrub)
}

// normalizeEncoded is normalizeJSONObject the long way: v encoded, decoded
// and normalised (numbers, and NUL when scrubbing).
func normalizeEncoded(v map[string]any, maxBytes int, scrub bool) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, &JSONError{Message: "is not JSON-compatible"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil || out == nil {
		return nil, &JSONError{Message: "must be a JSON object"}
	}
	n := normalizer{scrub: scrub}
	if _, err := n.value(out, "", 0); err != nil {
		return nil, err
	}
	if n.changed {
		if raw, err = json.Marshal(out); err != nil {
			return nil, &JSONError{Message: "is not JSON-compatible"}
		}
	}
	if maxBytes > 0 && len(raw) > maxBytes {
		return nil, &JSONError{Message: fmt.Sprintf("larger than %d bytes", maxBytes)}
	}
	return out, nil
}

// plainJSON is normalizeJSONObject's shortcut for a value already in the
// form it returns, the common case (what ADE builds itself: strings,
// integers, booleans, nested objects and arrays of them): it returns a deep
// copy of v, an upper bound of v's size as compact JSON, and true. It
// returns false, and the caller takes the long way (encode, decode,
// normalise), for anything that way could change or refuse: another type
// (a float, a struct, a typed map), a string or key that is not valid
// UTF-8 or holds NUL, a number not in canonical plain notation, nesting at
// MaxJSONDepth. The bound counts every string byte as escaped (six bytes),
// so a value it puts under a limit is under it.
func plainJSON(v any, level int) (any, int, bool) {
	switch t := v.(type) {
	case nil:
		return nil, 4, true
	case bool:
		return t, 5, true
	case string:
		if !plainString(t) {
			return nil, 0, false
		}
		return t, 2 + 6*len(t), true
	case int:
		return json.Number(strconv.Itoa(t)), 20, true
	case int64:
		return json.Number(strconv.FormatInt(t, 10)), 20, true
	case json.Number:
		if c, err := CanonicalNumber(string(t)); err != nil || c != string(t) || !plainNumber(string(t)) {
			return nil, 0, false
		}
		return t, len(t), true
	case map[string]any:
		if level >= MaxJSONDepth {
			return nil, 0, false
		}
		if t == nil {
			return nil, 4, true // encodes as null
		}
		out := make(map[string]any, len(t))
		size := 2
		for k, x := range t {
			if !plainString(k) {
				return nil, 0, false
			}
			c, n, ok := plainJSON(x, level+1)
			if !ok {
				return nil, 0, false
			}
			out[k] = c
			size += 2 + 6*len(k) + 2 + n
		}
		return out, size, true
	case []any:
		if level >= MaxJSONDepth {
			return nil, 0, false
		}
		if t == nil {
			return nil, 4, true // encodes as null
		}
		out := make([]any, len(t))
		size := 2
		for i, x := range t {
			c, n, ok := plainJSON(x, level+1)
			if !ok {
				return nil, 0, false
			}
			out[i] = c
			size += n + 1
		}
		return out, size, true
	}
	return nil, 0, false
}

// plainString reports whether s comes back from JSON as it is and needs no
// scrubbing: valid UTF-8 without NUL.
func plainString(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// plainNumber reports whether s is a JSON number in plain decimal
// notation: -?(0|[1-9][0-9]*)(.[0-9]+)?
func plainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	switch {
	case intPart == "" || !allDigits(intPart) || (len(intPart) > 1 && intPart[0] == '0'):
		return false
	case hasFrac && (frac == "" || !allDigits(frac)):
		return false
	}
	return true
}

// normalizer walks a decoded JSON value in key order (so the fault it
// reports does not depend on map order), rewriting numbers and, when
// scrubbing, NUL.
type normalizer struct {
	scrub   bool
	changed bool
}

const nulMessage = "must not contain the NUL character (U+0000)"

func (n *normalizer) value(v any, path string, level int) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		if level >= MaxJSONDepth {
			return nil, &JSONError{Message: fmt.Sprintf("nested deeper than %d levels", MaxJSONDepth)}
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			x := t[k]
			if strings.IndexByte(k, 0) >= 0 {
				if !n.scrub {
					return nil, &JSONError{Path: path, Message: "must not hold a key with the NUL character (U+0000)"}
				}
				delete(t, k)
				k = ScrubText(k)
				n.changed = true
			}
			nv, err := n.value(x, JoinFieldPath(path, k), level+1)
			if err != nil {
				return nil, err
			}
			t[k] = nv
		}
		return t, nil
	case []any:
		if level >= MaxJSONDepth {
			return nil, &JSONError{Message: fmt.Sprintf("nested deeper than %d levels", MaxJSONDepth)}
		}
		for i, x := range t {
			nv, err := n.value(x, path+"["+strconv.Itoa(i)+"]", level+1)
			if err != nil {
				return nil, err
			}
			t[i] = nv
		}
		return t, nil
	case string:
		if strings.IndexByte(t, 0) < 0 {
			return t, nil
		}
		if !n.scrub {
			return nil, &JSONError{Path: path, Message: nulMessage}
		}
		n.changed = true
		return ScrubText(t), nil
	case json.Number:
		c, err := CanonicalNumber(string(t))
		if err != nil {
			return nil, &JSONError{Path: path, Message: err.Error()}
		}
		if c != string(t) {
			n.changed = true
		}
		return json.Number(c), nil
	}
	return v, nil
}

// CanonicalNumber rewrites a JSON number in plain decimal notation with
// the scale it was written with, as PostgreSQL's numeric does: 1e2 ->
// 100, 1.50 -> 1.50, 1.0e-2 -> 0.010, 0.1e1 -> 1, -0.0 -> 0.0. The value is
// unchanged; only its notation is. A number of more than MaxNumberDigits
// digits in that notation is refused.
func CanonicalNumber(s string) (string, error) {
	tooLong := errString(fmt.Sprintf("must be a number of at most %d digits in plain decimal notation", MaxNumberDigits))
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	mant, expText, hasExp := strings.Cut(strings.ToLower(body), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return "", errString("must be a JSON number")
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil || e > MaxNumberDigits || e < -MaxNumberDigits {
			if err != nil && !strings.ContainsAny(expText, "0123456789") {
				return "", errString("must be a JSON number")
			}
			return "", tooLong
		}
		exp = e
	}
	digits := intPart + frac
	point := len(intPart) + exp
	scale := max(0, len(frac)-exp)
	if max(point, 1)+scale > MaxNumberDigits {
		return "", tooLong
	}
	var ip, fp string
	switch {
	case point <= 0:
		ip, fp = "0", strings.Repeat("0", -point)+digits
	case point >= len(digits):
		ip = digits + strings.Repeat("0", point-len(digits))
	default:
		ip, fp = digits[:point], digits[point:]
	}
	ip = strings.TrimLeft(ip, "0")
	if ip == "" {
		ip = "0"
	}
	out := ip
	if scale > 0 {
		out += "." + fp
	}
	if neg && strings.Trim(digits, "0") != "" {
		out = "-" + out
	}
	return out, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
