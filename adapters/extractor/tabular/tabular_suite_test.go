package tabular_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/ports"
)

// childEnv makes the test binary act as a one-shot extraction process, so
// specs can compare runs across separate processes.
const childEnv = "TABULAR_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild reads "input|payload|outdir", extracts and prints the report.
func runChild(spec string) int {
	var args struct{ Input, Payload, Out string }
	if err := json.Unmarshal([]byte(spec), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	payload, err := tabular.LoadPayload(args.Payload)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	sink, err := tabular.NewDirSink(args.Out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	res, err := tabular.New().ExtractFile(context.Background(), args.Input, payload, sink)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = json.NewEncoder(os.Stdout).Encode(tabular.NewReport(res))
	return 0
}

func TestTabular(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Tabular extractor Suite")
}

// memSink is an in-memory ports.OutputSink that records committed files.
type memSink struct {
	mu    sync.Mutex
	files map[string][]byte
	order []string
	open  int
}

func newMemSink() *memSink { return &memSink{files: map[string][]byte{}} }

func (m *memSink) Create(_ context.Context, name, _ string) (io.WriteCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.open++
	return &memFile{sink: m, name: name}, nil
}

type memFile struct {
	bytes.Buffer
	sink *memSink
	name string
}

func (f *memFile) Close() error {
	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	f.sink.open--
	f.sink.files[f.name] = append([]byte(nil), f.Bytes()...)
	f.sink.order = append(f.sink.order, f.name)
	return nil
}

func (m *memSink) names() []string {
	out := append([]string(nil), m.order...)
	sort.Strings(out)
	return out
}

// csvRows parses a committed CSV output.
func (m *memSink) csvRows(name string) [][]string {
	GinkgoHelper()
	data, ok := m.files[name]
	Expect(ok).To(BeTrue(), "output %s not committed; have %v", name, m.names())
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	Expect(err).NotTo(HaveOccurred())
	return rows
}

func fixture(name string) string { return filepath.Join("testdata", "ade-samples", name) }

// peoplePayload is the one general configuration every fixture is read with.
func peoplePayload() map[string]any {
	GinkgoHelper()
	p, err := tabular.LoadPayload(filepath.Join("testdata", "people.json"))
	Expect(err).NotTo(HaveOccurred())
	return p
}

func bytesDoc(name string, data []byte) ports.SourceDocument {
	return ports.SourceDocument{
		Filename: name, Size: int64(len(data)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

func fileDoc(path string) ports.SourceDocument {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return bytesDoc(filepath.Base(path), data)
}

func run(doc ports.SourceDocument, payload map[string]any, sink ports.OutputSink) (ports.ExtractionResult, error) {
	return tabular.New().Extract(context.Background(), ports.ExtractionRequest{
		JobID: "job-1", Payload: payload, Document: doc, Outputs: sink,
	})
}

func mustRun(doc ports.SourceDocument, payload map[string]any, sink ports.OutputSink) ports.ExtractionResult {
	GinkgoHelper()
	res, err := run(doc, payload, sink)
	Expect(err).NotTo(HaveOccurred())
	return res
}

// mapping returns a table's field -> source header decisions.
func mapping(t ports.ExtractedTable) map[string]any {
	m, _ := t.Metadata["mapping"].(map[string]any)
	return m
}

// simplePayload maps a few generic fields.
func simplePayload(extra map[string]any) map[string]any {
	p := map[string]any{
		"extractor": "tabular",
		"fields": []any{
			map[string]any{"name": "name", "synonyms": []any{"name", "full name"}},
			map[string]any{"name": "email", "synonyms": []any{"email", "e-mail"}},
		},
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}
