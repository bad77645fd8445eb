package arch_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const module = "github.com/ade-go/ade"

// imports lists each package matching pattern with the direct imports of
// its production code (test files may use adapters to exercise a layer),
// as the go tool sees them.
func imports(pattern string) map[string][]string {
	cmd := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}} {{join .Imports " "}}`, pattern)
	cmd.Dir = "../.."
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	Expect(cmd.Run()).To(Succeed(), errb.String())
	res := map[string][]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			res[f[0]] = f[1:]
		}
	}
	Expect(res).NotTo(BeEmpty(), "no packages match %s", pattern)
	return res
}

func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

var forbiddenLibraries = []string{"github.com/gofiber/", "github.com/uptrace/bun", "gocloud.dev", "go.uber.org/fx", "github.com/riverqueue/"}

var _ = Describe("the dependency rule", func() {
	It("keeps domain on the standard library", func() {
		for pkg, imps := range imports("./domain/...") {
			for _, imp := range imps {
				Expect(isStdlib(imp) || strings.HasPrefix(imp, module+"/domain")).To(BeTrue(), "%s imports %s", pkg, imp)
			}
		}
	})

	It("keeps ports on domain and the standard library", func() {
		for pkg, imps := range imports("./ports/...") {
			for _, imp := range imps {
				Expect(isStdlib(imp) || strings.HasPrefix(imp, module+"/domain") || strings.HasPrefix(imp, module+"/ports")).
					To(BeTrue(), "%s imports %s", pkg, imp)
			}
		}
	})

	It("keeps the use cases off adapters and their libraries", func() {
		for pkg, imps := range imports("./app/...") {
			for _, imp := range imps {
				Expect(imp).NotTo(HavePrefix(module+"/adapters"), "%s imports %s", pkg, imp)
				for _, lib := range forbiddenLibraries {
					Expect(imp).NotTo(HavePrefix(lib), "%s imports %s", pkg, imp)
				}
			}
		}
	})

	It("keeps the API client on the standard library, apart from the server's packages", func() {
		for pkg, imps := range imports("./client/...") {
			for _, imp := range imps {
				Expect(isStdlib(imp)).To(BeTrue(), "%s imports %s", pkg, imp)
			}
		}
	})

	It("lets only adapters and the composition root (cmd/) import Fiber, Bun, gocloud or River", func() {
		for pkg, imps := range imports("./...") {
			allowed := strings.HasPrefix(pkg, module+"/adapters/") || strings.HasPrefix(pkg, module+"/cmd/") || strings.HasPrefix(pkg, module+"/test/")
			if allowed {
				continue
			}
			for _, imp := range imps {
				for _, lib := range forbiddenLibraries {
					Expect(imp).NotTo(HavePrefix(lib), "%s imports %s", pkg, imp)
				}
			}
		}
	})
})
