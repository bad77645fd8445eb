package domain

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("JSON normalisation's shortcut", func() {
	// jsonSample builds a random JSON-like value from the kinds that
	// either way must treat alike: plain ones, and every kind the shortcut
	// hands to the long way.
	var jsonSample func(r *rand.Rand, level int) any
	leaves := []func(r *rand.Rand) any{
		func(r *rand.Rand) any { return "plain" },
		func(r *rand.Rand) any { return strings.Repeat("é<&>\u2028", r.IntN(4)) },
		func(r *rand.Rand) any { return "nul\x00inside" },
		func(r *rand.Rand) any { return "bad \xff utf-8" },
		func(r *rand.Rand) any { return strings.Repeat("x", r.IntN(400)) },
		func(r *rand.Rand) any { return r.IntN(2000) - 1000 },
		func(r *rand.Rand) any { return int64(math.MinInt64) },
		func(r *rand.Rand) any { return int32(7) },
		func(r *rand.Rand) any { return 1.5 },
		func(r *rand.Rand) any { return 1e21 },
		func(r *rand.Rand) any { return true },
		func(r *rand.Rand) any { return nil },
		func(r *rand.Rand) any {
			return json.Number([]string{"1", "-12.50", "0", "0.0", "1e2", "01", "-0", "", "abc", "1.", ".5", "-0.0"}[r.IntN(12)])
		},
		func(r *rand.Rand) any { return []string{"typed", "slice"} },
		func(r *rand.Rand) any { return map[string]string{"typed": "map"} },
		func(r *rand.Rand) any { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
		func(r *rand.Rand) any { return map[string]any(nil) },
		func(r *rand.Rand) any { return []any(nil) },
	}
	keys := []string{"a", "b", "k\x00", "\xfe", "<&>", "long key " + strings.Repeat("y", 50)}
	jsonSample = func(r *rand.Rand, level int) any {
		switch n := r.IntN(10); {
		case n < 2 && level < MaxJSONDepth+1:
			m := map[string]any{}
			for range r.IntN(4) {
				m[keys[r.IntN(len(keys))]] = jsonSample(r, level+1)
			}
			return m
		case n < 3 && level < MaxJSONDepth+1:
			a := make([]any, r.IntN(4))
			for i := range a {
				a[i] = jsonSample(r, level+1)
			}
			return a
		}
		return leaves[r.IntN(len(leaves))](r)
	}
	deep := func(level int) map[string]any {
		m := map[string]any{"leaf": "x"}
		for range level {
			m = map[string]any{"in": m}
		}
		return m
	}

	It("returns what the long way returns, value and error, for every kind of value, limit and mode", func() {
		r := rand.New(rand.NewPCG(1, 2))
		samples := []map[string]any{deep(MaxJSONDepth - 1), deep(MaxJSONDepth), deep(MaxJSONDepth + 1),
			{"big": strings.Repeat("z", 100)}, {"n": json.Number("12.50")}}
		for range 3000 {
			m := map[string]any{}
			for range r.IntN(5) {
				m[keys[r.IntN(len(keys))]] = jsonSample(r, 1)
			}
			samples = append(samples, m)
		}
		shortcut := 0
		for _, v := range samples {
			for _, maxBytes := range []int{0, 40, 120, 600, MaxPayloadBytes} {
				for _, scrub := range []bool{false, true} {
					want, wantErr := normalizeEncoded(v, maxBytes, scrub)
					got, gotErr := normalizeJSONObject(v, maxBytes, scrub)
					Expect(got).To(Equal(want), "%#v, limit %d, scrub %v", v, maxBytes, scrub)
					if wantErr == nil {
						Expect(gotErr).NotTo(HaveOccurred())
					} else {
						Expect(gotErr).To(MatchError(wantErr.Error()))
					}
					if _, _, ok := plainJSON(v, 0); ok {
						shortcut++
					}
				}
			}
		}
		Expect(shortcut).To(BeNumerically(">", 1000), "the samples exercise the shortcut")
	})

	It("returns a copy: changing the result leaves the value given untouched", func() {
		v := map[string]any{"a": map[string]any{"b": []any{"x", 1}}}
		got, err := ValidateJSONObject(v, 0)
		Expect(err).NotTo(HaveOccurred())
		got["a"].(map[string]any)["b"].([]any)[0] = "changed"
		Expect(v["a"].(map[string]any)["b"].([]any)[0]).To(Equal("x"))
		Expect(got["a"].(map[string]any)["b"].([]any)[1]).To(Equal(json.Number("1")))
	})
})
