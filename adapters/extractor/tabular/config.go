package tabular

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ade-go/ade/adapters/extractor/tabular/detect"
	"github.com/ade-go/ade/adapters/extractor/tabular/mapping"
	"github.com/ade-go/ade/adapters/extractor/tabular/output"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
	"github.com/ade-go/ade/domain"
)

// Output formats accepted in "output_format".
const (
	OutputCSV  = output.FormatCSV
	OutputXLSX = output.FormatXLSX
)

// Sheet selection modes of "sheets".
const (
	SheetsAll    = "all"
	SheetsActive = "active"
	sheetsList   = "list"
)

// Limits that keep a payload cheap to apply.
const (
	maxFields        = 500
	maxSynonyms      = 200
	maxPatternLength = 2000
	maxFieldName     = 64
)

var fieldNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var topLevelKeys = []string{"allow_empty", "escape_formulas", "extractor", "fields", "keep_unmapped_columns", "output_format", "sheets"}
var fieldKeys = []string{"checkbox", "currency", "decimal", "label", "name", "pattern", "percent_scale", "region",
	"required", "synonyms", "transforms", "type", "validate"}
var validateKeys = []string{"pattern"}

// Config is a validated tabular payload.
type Config struct {
	// SheetMode is SheetsAll, SheetsActive or "list" (then SheetNames).
	SheetMode string
	// SheetNames are the sheets to read when SheetMode is "list".
	SheetNames []string
	// Fields are the configured fields in payload order.
	Fields []mapping.Field
	// KeepUnmapped keeps columns that map to no field in the outputs.
	KeepUnmapped bool
	// OutputFormat is OutputCSV or OutputXLSX.
	OutputFormat string
	// AllowEmpty makes a document without tables succeed with none
	// instead of failing with no_tables_found.
	AllowEmpty bool
	// EscapeFormulas prefixes CSV output cells a spreadsheet program would
	// read as formulas with "'" (output.NeedsEscape); on by default.
	EscapeFormulas bool
	// Digest is the hex sha256 of the payload's canonical JSON.
	Digest string
}

// ParseConfig validates a payload and returns its configuration. A refused
// payload gives a *domain.ValidationError (kind domain.ErrUnprocessable)
// listing every problem found, with paths relative to the payload, in a
// fixed order: unknown keys, extractor, sheets, fields, keep_unmapped_columns,
// output_format, allow_empty, escape_formulas.
func ParseConfig(payload map[string]any) (*Config, error) {
	canonical, raw, err := canonicalize(payload)
	if err != nil {
		return nil, domain.NewUnprocessable("invalid tabular configuration",
			domain.FieldError{Field: "", Message: err.Error()})
	}
	v := &validator{}
	cfg := &Config{SheetMode: SheetsAll, KeepUnmapped: true, OutputFormat: OutputCSV, EscapeFormulas: true, Digest: sha256Hex(raw)}
	v.unknownKeys("", canonical, topLevelKeys)

	if x, ok := canonical["extractor"]; ok {
		if s, ok := x.(string); !ok || s != Name {
			v.add("extractor", fmt.Sprintf("must be %q", Name))
		}
	}
	if x, ok := canonical["sheets"]; ok {
		cfg.SheetMode, cfg.SheetNames = v.sheets(x)
	}
	x, ok := canonical["fields"]
	switch {
	case !ok:
		v.add("fields", "is required")
	default:
		cfg.Fields = v.fields(x)
	}
	if x, ok := canonical["keep_unmapped_columns"]; ok {
		if b, ok := x.(bool); ok {
			cfg.KeepUnmapped = b
		} else {
			v.add("keep_unmapped_columns", "must be a boolean")
		}
	}
	if x, ok := canonical["output_format"]; ok {
		if s, ok := x.(string); ok && (s == OutputCSV || s == OutputXLSX) {
			cfg.OutputFormat = s
		} else {
			v.add("output_format", `must be "csv" or "xlsx"`)
		}
	}
	if x, ok := canonical["allow_empty"]; ok {
		if b, ok := x.(bool); ok {
			cfg.AllowEmpty = b
		} else {
			v.add("allow_empty", "must be a boolean")
		}
	}
	if x, ok := canonical["escape_formulas"]; ok {
		if b, ok := x.(bool); ok {
			cfg.EscapeFormulas = b
		} else {
			v.add("escape_formulas", "must be a boolean")
		}
	}
	if len(v.errs) > 0 {
		return nil, domain.NewUnprocessable("invalid tabular configuration", v.errs...)
	}
	return cfg, nil
}

// canonicalize round-trips the payload through encoding/json so Go callers
// ([]string, int) and decoded JSON ([]any, float64) look the same, and
// returns the canonical bytes (sorted keys) the digest is taken from.
func canonicalize(payload map[string]any) (map[string]any, []byte, error) {
	if payload == nil {
		payload = map[string]any{}
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("is not JSON-compatible: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, nil, fmt.Errorf("is not a JSON object: %v", err)
	}
	// Marshal again: decoding normalised numbers, so the digest does not
	// depend on how the caller typed them.
	raw, err = json.Marshal(out)
	if err != nil {
		return nil, nil, fmt.Errorf("is not JSON-compatible: %v", err)
	}
	return out, raw, nil
}

type validator struct {
	errs []domain.FieldError
}

func (v *validator) add(path, msg string) {
	v.errs = append(v.errs, domain.FieldError{Field: path, Message: msg})
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func (v *validator) unknownKeys(prefix string, m map[string]any, allowed []string) {
	var unknown []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		v.add(join(prefix, k), "is not a known key")
	}
}

func (v *validator) sheets(x any) (string, []string) {
	switch t := x.(type) {
	case string:
		if t == SheetsAll || t == SheetsActive {
			return t, nil
		}
	case []any:
		if len(t) == 0 {
			v.add("sheets", "must list at least one sheet")
			return SheetsAll, nil
		}
		names := make([]string, 0, len(t))
		for i, e := range t {
			path := fmt.Sprintf("sheets[%d]", i)
			s, ok := e.(string)
			switch {
			case !ok || strings.TrimSpace(s) == "":
				v.add(path, "must be a non-empty sheet name")
			case slices.Contains(names, s):
				v.add(path, fmt.Sprintf("duplicates sheet %q", s))
			default:
				names = append(names, s)
			}
		}
		return sheetsList, names
	}
	v.add("sheets", `must be "all", "active" or a list of sheet names`)
	return SheetsAll, nil
}

func (v *validator) fields(x any) []mapping.Field {
	list, ok := x.([]any)
	if !ok {
		v.add("fields", "must be a list of field objects")
		return nil
	}
	if len(list) == 0 {
		v.add("fields", "must list at least one field")
		return nil
	}
	if len(list) > maxFields {
		v.add("fields", fmt.Sprintf("must list at most %d fields", maxFields))
		return nil
	}
	out := make([]mapping.Field, 0, len(list))
	firstByName := map[string]int{}
	for i, e := range list {
		path := fmt.Sprintf("fields[%d]", i)
		m, ok := e.(map[string]any)
		if !ok {
			v.add(path, "must be an object")
			continue
		}
		f := v.field(path, m)
		if f.Name != "" {
			if j, dup := firstByName[f.Name]; dup {
				v.add(path+".name", fmt.Sprintf("duplicates fields[%d].name %q", j, f.Name))
			} else {
				firstByName[f.Name] = i
			}
		}
		out = append(out, f)
	}
	return out
}

func (v *validator) field(path string, m map[string]any) mapping.Field {
	var f mapping.Field
	v.unknownKeys(path, m, fieldKeys)
	switch x, ok := m["name"]; {
	case !ok:
		v.add(path+".name", "is required")
	default:
		s, ok := x.(string)
		if !ok || !fieldNamePattern.MatchString(s) || len(s) > maxFieldName {
			v.add(path+".name", "must be 1-64 letters, digits or '_', not starting with a digit")
		} else {
			f.Name = s
		}
	}
	if x, ok := m["label"]; ok {
		if s, ok := x.(string); ok {
			f.Label = s
		} else {
			v.add(path+".label", "must be a string")
		}
	}
	if x, ok := m["synonyms"]; ok {
		list, ok := x.([]any)
		switch {
		case !ok:
			v.add(path+".synonyms", "must be a list of strings")
		case len(list) > maxSynonyms:
			v.add(path+".synonyms", fmt.Sprintf("must list at most %d synonyms", maxSynonyms))
		default:
			for j, e := range list {
				s, ok := e.(string)
				if !ok || detect.HeaderKey(s) == "" {
					v.add(fmt.Sprintf("%s.synonyms[%d]", path, j), "must be a string with at least one letter or digit")
					continue
				}
				f.Synonyms = append(f.Synonyms, s)
			}
		}
	}
	if x, ok := m["pattern"]; ok {
		f.Pattern = v.regex(path+".pattern", x)
	}
	if x, ok := m["required"]; ok {
		if b, ok := x.(bool); ok {
			f.Required = b
		} else {
			v.add(path+".required", "must be a boolean")
		}
	}
	if x, ok := m["transforms"]; ok {
		list, ok := x.([]any)
		if !ok {
			v.add(path+".transforms", "must be a list of transform names")
		} else {
			for j, e := range list {
				s, ok := e.(string)
				if !ok || !slices.Contains(mapping.Transforms, s) {
					v.add(fmt.Sprintf("%s.transforms[%d]", path, j),
						"must be one of "+strings.Join(mapping.Transforms, ", "))
					continue
				}
				f.Transforms = append(f.Transforms, s)
			}
		}
	}
	v.fieldType(path, m, &f)
	if x, ok := m["validate"]; ok {
		vm, ok := x.(map[string]any)
		if !ok {
			v.add(path+".validate", "must be an object")
		} else {
			v.unknownKeys(path+".validate", vm, validateKeys)
			if p, ok := vm["pattern"]; ok {
				f.Validate = v.regex(path+".validate.pattern", p)
			}
		}
	}
	return f
}

// fieldType reads a field's "type" and its options (the keys the values
// package names), and builds the field's parser. Each option is checked on
// its own, so every bad one is reported with its path.
func (v *validator) fieldType(path string, m map[string]any, f *mapping.Field) {
	typ := values.TypeString
	if x, ok := m["type"]; ok {
		s, ok := x.(string)
		if !ok || !values.Type(s).Valid() {
			v.add(path+".type", "must be one of "+typeNames())
			return
		}
		typ = values.Type(s)
	}
	// Options in key order, each checked alone against the type.
	all := values.Options{Date: read.ParseDate}
	ok := true
	for _, key := range []string{"checkbox", "currency", "decimal", "percent_scale", "region"} {
		x, present := m[key]
		if !present {
			continue
		}
		one := values.Options{Date: read.ParseDate}
		if key == "checkbox" {
			b, isBool := x.(bool)
			if !isBool {
				v.add(path+"."+key, "must be a boolean")
				ok = false
				continue
			}
			one.Checkbox, all.Checkbox = b, b
		} else {
			s, isString := x.(string)
			if !isString {
				v.add(path+"."+key, "must be a string")
				ok = false
				continue
			}
			for _, o := range []*values.Options{&one, &all} {
				switch key {
				case "currency":
					o.Currency = s
				case "decimal":
					o.Decimal = s
				case "percent_scale":
					o.PercentScale = s
				case "region":
					o.Region = s
				}
			}
		}
		if _, err := values.NewParser(typ, one); err != nil {
			v.add(path+"."+key, optionMessage(err))
			ok = false
		}
	}
	if !ok {
		return
	}
	p, err := values.NewParser(typ, all)
	if err != nil {
		v.add(path+".type", optionMessage(err))
		return
	}
	f.Type = typ
	if typ != values.TypeString {
		f.Parser = p
	}
}

// optionMessage is the message of a refused option.
func optionMessage(err error) string {
	var oe *values.OptionError
	if errors.As(err, &oe) {
		return oe.Message
	}
	return err.Error()
}

// typeNames lists the field types for messages.
func typeNames() string {
	names := make([]string, len(values.Types))
	for i, t := range values.Types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func (v *validator) regex(path string, x any) *regexp.Regexp {
	s, ok := x.(string)
	if !ok || s == "" {
		v.add(path, "must be a non-empty regular expression")
		return nil
	}
	if len(s) > maxPatternLength {
		v.add(path, fmt.Sprintf("must be at most %d characters", maxPatternLength))
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		v.add(path, "is not a valid regular expression: "+err.Error())
		return nil
	}
	return re
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
