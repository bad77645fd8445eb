// Command benchmd runs every benchmark program under test/bench, one after
// the other, shows their output as it comes, and writes BENCHMARKS.md: the
// machine it ran on, a table of the headline figures the programs report
// (benchkit.Report lines) and each program's full output. `make bench` runs
// it; README.md links to the file instead of copying figures.
//
//	go run ./test/tools/benchmd                      # every program, writes BENCHMARKS.md
//	go run ./test/tools/benchmd -only http-jobs,blob  # some programs, prints the table only
//
// A full run also rewrites README.md's performance table: the lines between
// the markers readmeBegin and readmeEnd are replaced by the same table with
// the run's date, machine and load, so the README never shows figures from
// separate runs. A program that fails is listed as failed and makes the run
// exit 1, after the files are written.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ade-go/ade/test/benchkit"
)

// program is one benchmark program's run.
type program struct {
	name     string
	took     time.Duration
	err      error
	output   string
	results  []benchkit.Result
	malforms []string
	// skipped is why a program that reported nothing skipped its work
	// (its "SKIPPED" line: no PostgreSQL configured), empty otherwise.
	skipped string
}

// skipReason returns the first line of output that says the program
// skipped its work, or "".
func skipReason(output string) string {
	for line := range strings.Lines(output) {
		if strings.Contains(line, "SKIPPED") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

func main() {
	out := flag.String("o", "BENCHMARKS.md", "the file to write (only when every program runs)")
	only := flag.String("only", "", "comma-separated program names to run (then no file is written)")
	flag.Parse()
	log.SetFlags(0)

	root, err := benchkit.RepoRoot()
	if err != nil {
		log.Fatal(err)
	}
	names, err := programs(root)
	if err != nil {
		log.Fatal(err)
	}
	if *only != "" {
		wanted := strings.Split(*only, ",")
		for _, w := range wanted {
			if !slices.Contains(names, w) {
				log.Fatalf("no program test/bench/%s (have %s)", w, strings.Join(names, ", "))
			}
		}
		names = wanted
	}

	m := describeMachine(root)
	var runs []program
	failed := false
	for _, name := range names {
		p := run(root, name)
		if p.err != nil {
			failed = true
		}
		runs = append(runs, p)
	}
	m.loadEnd = loadAverage()
	doc := render(m, runs)
	fmt.Println()
	fmt.Print(table(runs))
	if *only == "" {
		if err := os.WriteFile(filepath.Join(root, *out), []byte(doc), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("\nwrote %s\n", *out)
		if err := updateReadme(filepath.Join(root, "README.md"), m, runs, *out); err != nil {
			log.Fatal(err)
		}
		fmt.Println("updated README.md's performance table")
	}
	if failed {
		os.Exit(1)
	}
}

// programs lists the directories under test/bench, sorted.
func programs(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "test", "bench"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// run runs one program with `go run`, echoing its output, and collects its
// result lines.
func run(root, name string) program {
	fmt.Printf("== test/bench/%s\n", name)
	p := program{name: name}
	cmd := exec.Command("go", "run", "./test/bench/"+name)
	cmd.Dir = root
	var buf bytes.Buffer
	w := io.MultiWriter(os.Stdout, &buf)
	cmd.Stdout, cmd.Stderr = w, w
	start := time.Now()
	p.err = cmd.Run()
	p.took = time.Since(start)
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var kept strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if js, ok := strings.CutPrefix(line, benchkit.ReportPrefix); ok {
			var r benchkit.Result
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				p.malforms = append(p.malforms, line)
				continue
			}
			p.results = append(p.results, r)
			continue
		}
		kept.WriteString(line)
		kept.WriteByte('\n')
	}
	p.output = kept.String()
	if p.err == nil && len(p.results) == 0 {
		p.skipped = skipReason(p.output)
		if p.skipped == "" {
			p.err = fmt.Errorf("it reported no result (no %q line)", strings.TrimSpace(benchkit.ReportPrefix))
		}
	}
	if p.err != nil {
		fmt.Printf("== test/bench/%s FAILED: %v\n", name, p.err)
	}
	return p
}

// machine is what the figures were measured on.
type machine struct {
	date, commit, cpu, memory, kernel, goVersion, postgres string
	cores                                                  int
	loadStart, loadEnd                                     string
}

func describeMachine(root string) machine {
	m := machine{
		date:      time.Now().UTC().Format("2006-01-02 15:04 MST"),
		cores:     runtime.NumCPU(),
		goVersion: runtime.Version(),
		loadStart: loadAverage(),
		cpu:       "unknown",
		memory:    "unknown",
		kernel:    runtime.GOOS,
	}
	if b, err := exec.Command("go", "version").Output(); err == nil {
		m.goVersion = strings.TrimPrefix(strings.TrimSpace(string(b)), "go version ")
	}
	git := exec.Command("git", "describe", "--tags", "--always", "--dirty")
	git.Dir = root
	if b, err := git.Output(); err == nil {
		m.commit = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kib int64
				if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib); err == nil {
					m.memory = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = runtime.GOOS + " " + strings.TrimSpace(string(b))
	}
	m.postgres = "not set: the programs skipped their PostgreSQL cases"
	if os.Getenv("ADE_TEST_DATABASE_URL") != "" {
		m.postgres = "ADE_TEST_DATABASE_URL set: PostgreSQL cases ran"
		if b, err := exec.Command("psql", "--version").Output(); err == nil {
			m.postgres += " (client " + strings.TrimSpace(string(b)) + ")"
		}
	}
	return m
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// table renders the headline results as a Markdown table.
func table(runs []program) string {
	var b strings.Builder
	b.WriteString("| program | benchmark | ADE | baseline | ratio | target | |\n|---|---|---|---|---|---|---|\n")
	for _, p := range runs {
		if p.err != nil {
			fmt.Fprintf(&b, "| %s | FAILED: %s | | | | | ✗ |\n", p.name, cell(p.err.Error()))
		}
		if p.skipped != "" {
			fmt.Fprintf(&b, "| %s | %s | | | | | not run |\n", p.name, cell(p.skipped))
		}
		for _, r := range p.results {
			verdict := "meets"
			if !r.Met {
				verdict = "**misses**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", p.name, cell(r.Benchmark), cell(r.ADE), cell(r.Baseline), cell(r.Ratio), cell(r.Target), verdict)
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func render(m machine, runs []program) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `make bench` (`go run ./test/tools/benchmd`): every program under\n")
	b.WriteString("`test/bench` ran once, one after the other, each measuring ADE and its\n")
	b.WriteString("baseline (the least work that gets the same result) in the same run. Do not\n")
	b.WriteString("edit by hand: run `make bench` again.\n\n")
	fmt.Fprintf(&b, "| run | |\n|---|---|\n")
	fmt.Fprintf(&b, "| date | %s |\n| commit | %s |\n| CPU | %s, %d cores |\n| memory | %s |\n| OS | %s |\n| Go | %s |\n| PostgreSQL | %s |\n| load average (1, 5, 15 min) | %s at the start, %s at the end |\n\n",
		m.date, cell(m.commit), cell(m.cpu), m.cores, m.memory, m.kernel, m.goVersion, m.postgres, m.loadStart, m.loadEnd)
	b.WriteString("A shared or busy machine moves throughput figures by tens of percent between\n")
	b.WriteString("runs; the load average above says how busy this one was. Ratios, measured in\n")
	b.WriteString("the same run, move less.\n\n")
	b.WriteString("## Results\n\n")
	b.WriteString(table(runs))
	b.WriteString("\n## Each program's output\n\n")
	for _, p := range runs {
		status := "ok"
		if p.err != nil {
			status = "FAILED: " + p.err.Error()
		}
		fmt.Fprintf(&b, "### %s\n\n`go run ./test/bench/%s`: %s, %s.\n\n```text\n%s```\n\n", p.name, p.name, p.took.Round(time.Second), status, p.output)
		for _, l := range p.malforms {
			fmt.Fprintf(&b, "Unreadable result line: `%s`\n\n", l)
		}
	}
	return b.String()
}

// The markers around README.md's generated performance table.
const (
	readmeBegin = "<!-- benchmarks:begin (written by make bench; do not edit) -->"
	readmeEnd   = "<!-- benchmarks:end -->"
)

// updateReadme replaces the lines between readmeBegin and readmeEnd in the
// file at path with readmeSection. It refuses, changing nothing, when the
// markers are missing or out of order.
func updateReadme(path string, m machine, runs []program, benchFile string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := replaceSection(string(b), readmeSection(m, runs, benchFile))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

// replaceSection returns doc with the text between its marker lines
// replaced by section (the markers stay).
func replaceSection(doc, section string) (string, error) {
	i := strings.Index(doc, readmeBegin)
	j := strings.Index(doc, readmeEnd)
	if i < 0 || j < 0 || j < i {
		return "", fmt.Errorf("no %q ... %q section", readmeBegin, readmeEnd)
	}
	head := doc[:i+len(readmeBegin)]
	return head + "\n" + section + doc[j:], nil
}

// readmeSection is the README's view of a run: where and when it ran, and
// the results table, pointing to benchFile for each program's output.
func readmeSection(m machine, runs []program, benchFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by one `make bench` run on %s (commit %s; %s, %d cores, %s; load average %s at the start, %s at the end). Each program's full output is in [%s](%s).\n\n",
		m.date, m.commit, m.cpu, m.cores, m.memory, m.loadStart, m.loadEnd, benchFile, benchFile)
	b.WriteString(table(runs))
	return b.String()
}
