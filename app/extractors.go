package app

import (
	"fmt"
	"sort"

	"github.com/ade-go/ade/ports"
)

// Extractors is the registry of extractors, keyed by name.
type Extractors struct {
	byName map[string]ports.Extractor
}

// NewExtractors registers extractors; two with one name are refused.
func NewExtractors(list ...ports.Extractor) (*Extractors, error) {
	r := &Extractors{byName: make(map[string]ports.Extractor, len(list))}
	for _, e := range list {
		if _, dup := r.byName[e.Name()]; dup {
			return nil, fmt.Errorf("extractor %q registered twice", e.Name())
		}
		r.byName[e.Name()] = e
	}
	return r, nil
}

// Get returns the extractor with that name.
func (r *Extractors) Get(name string) (ports.Extractor, bool) {
	e, ok := r.byName[name]
	return e, ok
}

// Names lists the registered names in order.
func (r *Extractors) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
