package arch_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The HTTP adapter can be built without authentication, to measure what
// authentication costs. Only benchmark and test code may ask for that:
// the ade binary and every other package must not, so no configuration
// can turn authentication off.
var _ = Describe("the server without authentication", func() {
	It("is built only by code under test/", func() {
		cmd := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}} {{.Dir}} {{join .GoFiles " "}}`, "./...")
		cmd.Dir = "../.."
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		Expect(cmd.Run()).To(Succeed(), errb.String())
		checked := 0
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 3 {
				continue
			}
			pkg, dir := f[0], f[1]
			if strings.HasPrefix(pkg, module+"/test/") || pkg == module+"/adapters/httpapi" {
				continue
			}
			for _, name := range f[2:] {
				src, err := os.ReadFile(filepath.Join(dir, name))
				Expect(err).NotTo(HaveOccurred())
				checked++
				Expect(string(src)).NotTo(ContainSubstring("InsecureWithoutAuth"),
					"%s/%s builds a server without authentication", pkg, name)
			}
		}
		Expect(checked).To(BeNumerically(">", 50), "the scan saw the module's files")
	})
})
