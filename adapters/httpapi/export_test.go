package httpapi

import (
	"reflect"
	"strings"
)

// RouteActions lists every /api/v1 operation as "METHOD /openapi/path"
// with the action its guard asks the permission table about.
func RouteActions() map[string]string {
	out := map[string]string{}
	for _, r := range apiRoutes {
		parts := strings.Split("/api/v1"+r.path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		out[r.method+" "+strings.Join(parts, "/")] = string(r.action)
	}
	return out
}

// UnknownField is unknownField for a target of v's type.
func UnknownField(b []byte, v any) (string, bool) { return unknownField(b, reflect.TypeOf(v)) }
