package xlsxstream

import (
	"bytes"
	"errors"
)

// attr is one attribute of a tag: its qualified name and raw value.
type attr struct {
	name, value []byte
}

// nextAttr reads the first attribute of a and returns the rest; ok is
// false when a holds no more attributes.
func nextAttr(a []byte) (at attr, rest []byte, ok bool, err error) {
	i := 0
	for i < len(a) && isSpace(a[i]) {
		i++
	}
	if i == len(a) {
		return attr{}, nil, false, nil
	}
	j := i
	for j < len(a) && a[j] != '=' && !isSpace(a[j]) {
		j++
	}
	name := a[i:j]
	for j < len(a) && isSpace(a[j]) {
		j++
	}
	if j == len(a) || a[j] != '=' || len(name) == 0 {
		return attr{}, nil, false, errAttr
	}
	j++
	for j < len(a) && isSpace(a[j]) {
		j++
	}
	if j == len(a) || (a[j] != '"' && a[j] != '\'') {
		return attr{}, nil, false, errAttr
	}
	q := a[j]
	k := bytes.IndexByte(a[j+1:], q)
	if k < 0 {
		return attr{}, nil, false, errAttr
	}
	return attr{name: name, value: a[j+1 : j+1+k]}, a[j+2+k:], true, nil
}

var errAttr = errors.New("malformed attribute")

// attrs calls fn for each attribute of the current tag.
func (s *scanner) eachAttr(fn func(attr) error) error {
	a := s.attrs
	for {
		at, rest, ok, err := nextAttr(a)
		if err != nil {
			return s.malformed("a tag's attributes are malformed")
		}
		if !ok {
			return nil
		}
		if err := fn(at); err != nil {
			return err
		}
		a = rest
	}
}

// attrText decodes an attribute value: entities and line ends.
func (s *scanner) attrText(v []byte) (string, error) {
	if bytes.IndexByte(v, '&') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return string(v), nil
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '&':
			end := bytes.IndexByte(v[i:], ';')
			if end < 0 {
				return "", s.malformed("an entity reference is not terminated")
			}
			var ok bool
			if out, ok = appendEntity(out, v[i+1:i+end]); !ok {
				return "", s.malformed("unknown entity in an attribute")
			}
			i += end
		case '\r':
			out = append(out, '\n')
			if i+1 < len(v) && v[i+1] == '\n' {
				i++
			}
		default:
			out = append(out, c)
		}
	}
	return string(out), nil
}
