package httpapi_test

import (
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/httpapi"
)

type innerBody struct {
	Code string `json:"code"`
}

type embeddedBody struct {
	Shared string `json:"shared"`
}

type outerBody struct {
	embeddedBody
	Name    *string              `json:"name"`
	Inner   innerBody            `json:"inner"`
	List    []innerBody          `json:"list"`
	Free    map[string]any       `json:"free"`
	ByKey   map[string]innerBody `json:"by_key"`
	Raw     json.RawMessage      `json:"raw"`
	Skipped string               `json:"-"`
	Plain   int
	hidden  int
}

var _ = outerBody{}.hidden // unexported on purpose: encoding/json ignores it

var _ = Describe("an unknown field in a JSON body", func() {
	// The names come from the walk of the document; encoding/json, which
	// reports them only as text, is the reference they must agree with.
	DescribeTable("is the one encoding/json refuses, first in document order",
		func(body string) {
			dec := json.NewDecoder(strings.NewReader(body))
			dec.DisallowUnknownFields()
			err := dec.Decode(new(outerBody))
			name, found := httpapi.UnknownField([]byte(body), new(outerBody))
			if err == nil {
				Expect(found).To(BeFalse(), "encoding/json accepts it")
				return
			}
			want, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
			Expect(ok).To(BeTrue(), "the body is meant to fail only on a field: %v", err)
			Expect(found).To(BeTrue())
			Expect(name).To(Equal(strings.Trim(want, `"`)))
		},
		Entry("none", `{"name":"a","inner":{"code":"x"},"list":[{"code":"y"}],"free":{"any":{"thing":1}},"raw":{"z":1},"shared":"s","Plain":1}`),
		Entry("at the top", `{"name":"a","nope":1}`),
		Entry("the first of two", `{"zeta":1,"name":"a","alpha":2}`),
		Entry("names in another case", `{"NAME":"a","INNER":{"CODE":"x"},"plain":2,"Shared":"s"}`),
		Entry("in a nested object", `{"inner":{"code":"x","extra":true}}`),
		Entry("in an array's object", `{"list":[{"code":"x"},{"code":"y","more":1}]}`),
		Entry("in a map's object", `{"by_key":{"k":{"code":"x","more":1}}}`),
		Entry("a field json ignores", `{"Skipped":"x"}`),
		Entry("an unexported field", `{"hidden":1}`),
		Entry("after nested containers", `{"free":{"a":[{"b":[1,{"c":2}]}]},"list":[],"later":1}`),
	)
})
