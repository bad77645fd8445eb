package tabular_test

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/extractor/values"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ = Describe("ValidatePayload", func() {
	ext := tabular.New()

	paths := func(err error) []string {
		GinkgoHelper()
		var ve *domain.ValidationError
		Expect(errors.As(err, &ve)).To(BeTrue(), "want a *domain.ValidationError, got %v", err)
		Expect(err).To(MatchError(domain.ErrUnprocessable))
		var out []string
		for _, f := range ve.Fields {
			out = append(out, f.Field)
		}
		return out
	}

	It("is named tabular", func() {
		Expect(ext.Name()).To(Equal("tabular"))
	})

	It("accepts the documented example and the people configuration", func() {
		Expect(ext.ValidatePayload(peoplePayload())).To(Succeed())
		Expect(ext.ValidatePayload(map[string]any{
			"extractor": "tabular", "sheets": []any{"Roster", "Payroll"},
			"fields":                []any{map[string]any{"name": "x"}},
			"keep_unmapped_columns": false, "output_format": "xlsx",
		})).To(Succeed())
		Expect(ext.ValidatePayload(map[string]any{
			"fields": []map[string]any{{"name": "x", "transforms": []string{"trim", "date"}, "required": true}},
		})).To(Succeed(), "Go-typed payloads work too")
	})

	DescribeTable("rejects bad payloads naming every path, in order",
		func(payload map[string]any, want []string) {
			Expect(paths(ext.ValidatePayload(payload))).To(Equal(want))
		},
		Entry("missing fields", map[string]any{"extractor": "tabular"}, []string{"fields"}),
		Entry("nil payload", nil, []string{"fields"}),
		Entry("empty fields", map[string]any{"fields": []any{}}, []string{"fields"}),
		Entry("fields not a list", map[string]any{"fields": "x"}, []string{"fields"}),
		Entry("unknown keys, sorted", map[string]any{"zeta": 1, "alpha": 2, "fields": []any{map[string]any{"name": "a", "colour": "red"}}},
			[]string{"alpha", "zeta", "fields[0].colour"}),
		Entry("wrong extractor", map[string]any{"extractor": "stub", "fields": []any{map[string]any{"name": "a"}}},
			[]string{"extractor"}),
		Entry("missing and bad names", map[string]any{"fields": []any{
			map[string]any{"synonyms": []any{"a"}}, map[string]any{"name": "1abc"}, map[string]any{"name": 3}}},
			[]string{"fields[0].name", "fields[1].name", "fields[2].name"}),
		Entry("duplicate field names", map[string]any{"fields": []any{
			map[string]any{"name": "email"}, map[string]any{"name": "x"}, map[string]any{"name": "email"}}},
			[]string{"fields[2].name"}),
		Entry("unknown transform", map[string]any{"fields": []any{
			map[string]any{"name": "a"}, map[string]any{"name": "b"},
			map[string]any{"name": "c", "transforms": []any{"shout", "trim", 7}}}},
			[]string{"fields[2].transforms[0]", "fields[2].transforms[2]"}),
		Entry("bad regexes", map[string]any{"fields": []any{
			map[string]any{"name": "a", "pattern": "(", "validate": map[string]any{"pattern": "[", "max": 3}}}},
			[]string{"fields[0].pattern", "fields[0].validate.max", "fields[0].validate.pattern"}),
		Entry("wrong types", map[string]any{"sheets": 3, "keep_unmapped_columns": "yes", "output_format": "pdf",
			"fields": []any{"x", map[string]any{"name": "a", "required": "yes", "synonyms": "a", "label": 4, "transforms": "trim", "validate": "x"}}},
			[]string{"sheets", "fields[0]", "fields[1].label", "fields[1].synonyms", "fields[1].required",
				"fields[1].transforms", "fields[1].validate", "keep_unmapped_columns", "output_format"}),
		Entry("bad sheet lists", map[string]any{"sheets": []any{"A", "", "A", 1}, "fields": []any{map[string]any{"name": "a"}}},
			[]string{"sheets[1]", "sheets[2]", "sheets[3]"}),
		Entry("empty sheet list", map[string]any{"sheets": []any{}, "fields": []any{map[string]any{"name": "a"}}},
			[]string{"sheets"}),
		Entry("bad types and options, each with its path", map[string]any{"fields": []any{
			map[string]any{"name": "a", "type": "float"},
			map[string]any{"name": "b", "type": "number", "currency": "USD", "region": "CA", "checkbox": "yes", "decimal": ";"},
			map[string]any{"name": "c", "type": "money", "currency": "ABC", "percent_scale": 5},
			map[string]any{"name": "d", "currency": "USD"},
			map[string]any{"name": "e", "type": 3}}},
			[]string{"fields[0].type", "fields[1].checkbox", "fields[1].currency", "fields[1].decimal", "fields[1].region",
				"fields[2].currency", "fields[2].percent_scale", "fields[3].currency", "fields[4].type"}),
		Entry("blank synonym", map[string]any{"fields": []any{map[string]any{"name": "a", "synonyms": []any{"ok", " - ", 5}}}},
			[]string{"fields[0].synonyms[1]", "fields[0].synonyms[2]"}),
	)

	It("builds each field's parser from its type and options", func() {
		cfg, err := tabular.ParseConfig(map[string]any{"fields": []any{
			map[string]any{"name": "amount", "type": "money", "currency": "usd", "decimal": ","},
			map[string]any{"name": "paid", "type": "boolean", "checkbox": true},
			map[string]any{"name": "phone", "type": "phone", "region": "ca"},
			map[string]any{"name": "rate", "type": "percent", "percent_scale": "percent"},
			map[string]any{"name": "on", "type": "date"},
			map[string]any{"name": "note", "type": "string"},
			map[string]any{"name": "plain"},
		}})
		Expect(err).NotTo(HaveOccurred())
		f := cfg.Fields
		Expect(f[0].Type).To(Equal(values.TypeMoney))
		Expect(f[0].Parser.Options().Currency).To(Equal("USD"))
		Expect(f[0].Parser.Options().Decimal).To(Equal(","))
		Expect(f[1].Parser.Options().Checkbox).To(BeTrue())
		Expect(f[2].Parser.Options().Region).To(Equal("CA"))
		Expect(f[3].Parser.Options().PercentScale).To(Equal("percent"))
		out, ok := f[4].Parser.Canonical("Jan 2, 2024")
		Expect(ok).To(BeTrue(), "dates are read by the extractor's date parser")
		Expect(out).To(Equal("2024-01-02"))
		Expect(f[5].Parser).To(BeNil())
		Expect(f[5].Type).To(Equal(values.TypeString))
		Expect(f[6].Parser).To(BeNil())
		Expect(f[6].Type).To(Equal(values.TypeString))
	})

	It("names the type and options in the error message", func() {
		err := ext.ValidatePayload(map[string]any{"fields": []any{map[string]any{"name": "a", "type": "number", "currency": "USD"}}})
		Expect(err.Error()).To(ContainSubstring("fields[0].currency"))
		Expect(err.Error()).To(ContainSubstring("applies to money only"))
		err = ext.ValidatePayload(map[string]any{"fields": []any{map[string]any{"name": "a", "type": "float"}}})
		Expect(err.Error()).To(ContainSubstring("string, number, integer, money, percent, boolean, date, phone"))
	})

	It("reports the same errors every time", func() {
		bad := map[string]any{"b": 1, "a": 2, "c": 3, "fields": []any{map[string]any{"name": "x", "q": 1, "p": 2}}}
		first := ext.ValidatePayload(bad).Error()
		for range 20 {
			Expect(ext.ValidatePayload(bad).Error()).To(Equal(first))
		}
	})

	It("makes Extract fail with invalid_configuration", func() {
		_, err := run(bytesDoc("a.csv", []byte("a,b\n1,2\n3,4\n")), map[string]any{"fields": "x"}, nil)
		var ee *ports.ExtractionError
		Expect(errors.As(err, &ee)).To(BeTrue())
		Expect(ee.Code).To(Equal("invalid_configuration"))
		Expect(err).To(MatchError(domain.ErrUnprocessable))
	})

	It("digests the payload canonically (key order and Go types do not matter)", func() {
		a, err := tabular.ParseConfig(map[string]any{"fields": []any{map[string]any{"name": "x", "required": true}}, "output_format": "csv"})
		Expect(err).NotTo(HaveOccurred())
		b, err := tabular.ParseConfig(map[string]any{"output_format": "csv", "fields": []map[string]any{{"required": true, "name": "x"}}})
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Digest).To(Equal(b.Digest))
		c, _ := tabular.ParseConfig(map[string]any{"output_format": "xlsx", "fields": []any{map[string]any{"name": "x", "required": true}}})
		Expect(c.Digest).NotTo(Equal(a.Digest))
	})
})
