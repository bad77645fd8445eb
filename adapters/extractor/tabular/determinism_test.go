package tabular_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular"
)

var _ = Describe("Determinism", func() {
	fixtures := []string{
		"S01_clean_roster_alias_headers.xlsx", "S02_two_tables_vertical_same_sheet.xlsx",
		"S03_preamble_stacked_headers.xlsx", "S06_full_name_normalization_cases.xlsx",
		"S07_contacts_export_quirks.csv",
	}

	for _, format := range []string{"csv", "xlsx"} {
		It("gives byte-identical outputs, tables, metrics and logs on every run ("+format+")", func() {
			for _, name := range fixtures {
				p := peoplePayload()
				p["output_format"] = format
				s1, s2 := newMemSink(), newMemSink()
				r1 := mustRun(fileDoc(fixture(name)), p, s1)
				r2 := mustRun(fileDoc(fixture(name)), p, s2)
				j1, err := json.Marshal(r1)
				Expect(err).NotTo(HaveOccurred())
				j2, err := json.Marshal(r2)
				Expect(err).NotTo(HaveOccurred())
				Expect(string(j1)).To(Equal(string(j2)), name)
				Expect(s1.files).To(Equal(s2.files), name)
				Expect(s1.order).To(Equal(s2.order), name)
			}
		})
	}

	It("records the input's sha256 and the configuration digest", func() {
		data, err := os.ReadFile(fixture("S03_preamble_stacked_headers.xlsx"))
		Expect(err).NotTo(HaveOccurred())
		sum := sha256.Sum256(data)
		res := mustRun(fileDoc(fixture("S03_preamble_stacked_headers.xlsx")), peoplePayload(), nil)
		Expect(res.Metrics["input_sha256"]).To(Equal(hex.EncodeToString(sum[:])))
		cfg, err := tabular.ParseConfig(peoplePayload())
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Metrics["configuration_digest"]).To(Equal(cfg.Digest))
	})

	It("gives the same report and files across separate processes", func() {
		self, err := os.Executable()
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		payload := filepath.Join("testdata", "people.json")
		runProcess := func(input, out string) (string, map[string]string) {
			spec, _ := json.Marshal(map[string]string{"Input": input, "Payload": payload, "Out": out})
			cmd := exec.Command(self)
			cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
			stdout, err := cmd.Output()
			Expect(err).NotTo(HaveOccurred())
			files := map[string]string{}
			entries, err := os.ReadDir(out)
			Expect(err).NotTo(HaveOccurred())
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(out, e.Name()))
				Expect(err).NotTo(HaveOccurred())
				files[e.Name()] = string(b)
			}
			return string(stdout), files
		}
		for _, name := range []string{"S02_two_tables_vertical_same_sheet.xlsx", "S07_contacts_export_quirks.csv"} {
			out1, files1 := runProcess(fixture(name), filepath.Join(dir, name, "1"))
			out2, files2 := runProcess(fixture(name), filepath.Join(dir, name, "2"))
			Expect(out1).NotTo(BeEmpty())
			Expect(out1).To(Equal(out2))
			Expect(files1).NotTo(BeEmpty())
			Expect(files1).To(Equal(files2))
		}
	})
})

var _ = Describe("DirSink", func() {
	It("commits on Close and discards everything on Discard", func() {
		dir := GinkgoT().TempDir()
		sink, err := tabular.NewDirSink(filepath.Join(dir, "out"))
		Expect(err).NotTo(HaveOccurred())
		w, err := sink.Create(GinkgoT().Context(), "../a.csv", "text/csv")
		Expect(err).NotTo(HaveOccurred())
		_, _ = w.Write([]byte("x\n"))
		entries, _ := os.ReadDir(filepath.Join(dir, "out"))
		Expect(entries).To(HaveLen(1))
		Expect(entries[0].Name()).To(HavePrefix(".a.csv"), "invisible temp file until Close")
		Expect(w.Close()).To(Succeed())
		Expect(filepath.Join(dir, "out", "a.csv")).To(BeAnExistingFile())
		Expect(sink.Files()).To(Equal([]string{filepath.Join(dir, "out", "a.csv")}))
		Expect(w.Close()).NotTo(Succeed())

		w2, err := sink.Create(GinkgoT().Context(), "b.csv", "text/csv")
		Expect(err).NotTo(HaveOccurred())
		_, _ = w2.Write([]byte("y\n"))
		sink.Discard()
		entries, _ = os.ReadDir(filepath.Join(dir, "out"))
		Expect(entries).To(BeEmpty())
	})
})
