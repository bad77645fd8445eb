// Command values-money measures typed money parsing against
// strconv.ParseFloat over the same amounts, in the same run. It prints
// figures and never asserts: the target is a throughput of at least 0.3 of
// ParseFloat's while staying exact.
//
//	go run ./test/bench/values-money [-n 1000000] [-runs 5] [-cpuprofile f]
//
// The input is -n money values generated deterministically (a fixed seed)
// in a realistic mix of forms: "$1,234.50", "(1,234.50)", "1234.50-",
// "1.234,50 €", "1 234,50 €" and "1 234,50 €" (no-break and narrow
// no-break spaces), "USD 12.00", "12.00 USD", "€12", "-$5.25", "CAD
// 1,234,567.89", amounts from 0.00 to 9,999,999.99.
//
// The baseline is strconv.ParseFloat(s, 64) over the same amounts with the
// money decoration stripped in advance, untimed: for each value the
// generator also writes the bare amount ("-1234.50"), so the timed baseline
// loop does nothing but ParseFloat, the least work that turns the text into
// a number (and the least flattering baseline: no stripping is charged to
// it). The typed side, values.Parser.AppendCanonical on a column parser
// (money, default currency USD, decimal "auto", the form mix settling each
// value's separator by itself), reads the decorated text and writes the
// canonical text ("-1234.50 USD") into a reused buffer: strictly more work.
// Parse alone (to a typed value, no text) is also shown.
//
// Sides alternate -runs times; the summary gives medians of wall time and
// of process CPU time (the machine is shared: CPU time feels other work
// less). Allocations per value come from runtime.MemStats.Mallocs around
// each loop. Before timing, every value is checked: its canonical amount
// must equal the bare amount digit for digit.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ade-go/ade/adapters/extractor/values"
	"github.com/ade-go/ade/test/benchkit"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of money values")
	runs := flag.Int("runs", 5, "how many times each side runs")
	profile := flag.String("cpuprofile", "", "write the typed side's CPU profile to this file")
	flag.Parse()

	decorated, bare, currencies := generate(*n)
	var size int
	for _, s := range decorated {
		size += len(s)
	}
	fmt.Printf("input: %d money values, %.1f MB decorated, %d forms\n", *n, float64(size)/1e6, len(forms))

	p, err := values.NewParser(values.TypeMoney, values.Options{Currency: "USD"})
	check(err)
	verify(p, decorated, bare, currencies)

	var prof *os.File
	if *profile != "" {
		prof, err = os.Create(*profile)
		check(err)
		defer prof.Close()
	}
	var baseWall, baseCPU, canonWall, canonCPU, parseWall, parseCPU, ratios []float64
	var baseAllocs, canonAllocs, parseAllocs float64
	for i := range *runs {
		w, c, a := measure(func() {
			var sink float64
			for _, s := range bare {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					panic(err)
				}
				sink += f
			}
			keep(sink)
		})
		baseWall, baseCPU, baseAllocs = append(baseWall, w), append(baseCPU, c), a/float64(*n)
		bw := w

		if prof != nil && i == 0 {
			check(pprof.StartCPUProfile(prof))
		}
		w, c, a = measure(func() {
			buf := make([]byte, 0, 64)
			bad := 0
			for _, s := range decorated {
				var ok bool
				if buf, ok = p.AppendCanonical(buf[:0], s); !ok {
					bad++
				}
			}
			keep(float64(bad + len(buf)))
		})
		if prof != nil && i == 0 {
			pprof.StopCPUProfile()
		}
		canonWall, canonCPU, canonAllocs = append(canonWall, w), append(canonCPU, c), a/float64(*n)
		ratios = append(ratios, bw/w)

		w, c, a = measure(func() {
			bad := 0
			for _, s := range decorated {
				if _, err := p.Parse(s); err != nil {
					bad++
				}
			}
			keep(float64(bad))
		})
		parseWall, parseCPU, parseAllocs = append(parseWall, w), append(parseCPU, c), a/float64(*n)
		fmt.Printf("run %d: ParseFloat %.1f M/s, typed canonical %.1f M/s (ratio %.2f), typed Parse %.1f M/s\n", i+1,
			rate(*n, baseWall[i]), rate(*n, canonWall[i]), ratios[i], rate(*n, parseWall[i]))
	}
	bw, bc := benchkit.Median(baseWall), benchkit.Median(baseCPU)
	cw, cc := benchkit.Median(canonWall), benchkit.Median(canonCPU)
	pw, pc := benchkit.Median(parseWall), benchkit.Median(parseCPU)
	ratio := bw / cw
	fmt.Println("summary (medians):")
	fmt.Printf("  baseline strconv.ParseFloat (bare amounts): %.1f M values/s, %.0f ns/value (cpu %.0f ns), %.2f allocs/value\n",
		rate(*n, bw), ns(*n, bw), ns(*n, bc), baseAllocs)
	fmt.Printf("  typed money, AppendCanonical (decorated -> \"-1234.50 USD\"): %.1f M values/s, %.0f ns/value (cpu %.0f ns), %.2f allocs/value\n",
		rate(*n, cw), ns(*n, cw), ns(*n, cc), canonAllocs)
	fmt.Printf("  typed money, Parse (decorated -> Value): %.1f M values/s, %.0f ns/value (cpu %.0f ns), %.2f allocs/value\n",
		rate(*n, pw), ns(*n, pw), ns(*n, pc), parseAllocs)
	fmt.Printf("  throughput ratio typed canonical/ParseFloat: %.2f (target >= 0.30) %s; median of per-run ratios %.2f; cpu ratio %.2f\n",
		ratio, benchkit.Verdict(ratio >= 0.3), benchkit.Median(ratios), bc/cc)
	fmt.Printf("  throughput ratio typed Parse/ParseFloat: %.2f; cpu ratio %.2f\n", bw/pw, bc/pc)
	exactness(bare)
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("%d money values in written forms, exact read and canonical text", *n),
		ADE:       fmt.Sprintf("%.1f M values/s, %.2f allocs/value", rate(*n, cw), canonAllocs),
		Baseline:  fmt.Sprintf("strconv.ParseFloat over the bare amounts: %.1f M values/s", rate(*n, bw)),
		Ratio:     benchkit.Ratio(ratio), Target: ">= 0.30", Met: ratio >= 0.3,
	})
}

// forms are the ways the generator writes an amount (a: digits with a
// point and two decimals; g: grouped by commas; e: grouped by points with
// a decimal comma; nb, nn: grouped by no-break and narrow no-break spaces
// with a decimal comma).
var forms = []func(neg bool, a, g, e, nb, nn string) (string, string){
	func(neg bool, a, g, _, _, _ string) (string, string) { return sign(neg, "-") + "$" + g, "USD" },
	func(neg bool, a, g, _, _, _ string) (string, string) { return paren(neg, g), "USD" },
	func(neg bool, a, _, _, _, _ string) (string, string) { return a + sign(neg, "-"), "USD" },
	func(neg bool, _, _, e, _, _ string) (string, string) { return sign(neg, "-") + e + " €", "EUR" },
	func(neg bool, _, _, _, nb, _ string) (string, string) {
		return sign(neg, "-") + nb + "\u00a0€", "EUR"
	},
	func(neg bool, _, _, _, _, nn string) (string, string) {
		return sign(neg, "-") + nn + "\u202f€", "EUR"
	},
	func(neg bool, a, _, _, _, _ string) (string, string) { return "USD " + sign(neg, "-") + a, "USD" },
	func(neg bool, a, _, _, _, _ string) (string, string) { return sign(neg, "-") + a + " USD", "USD" },
	func(neg bool, a, _, _, _, _ string) (string, string) { return sign(neg, "-") + "€" + a, "EUR" },
	func(neg bool, _, g, _, _, _ string) (string, string) { return "CAD " + paren(neg, g), "CAD" },
}

func sign(neg bool, s string) string {
	if neg {
		return s
	}
	return ""
}

func paren(neg bool, s string) string {
	if neg {
		return "(" + s + ")"
	}
	return s
}

// generate writes n amounts, each in one of the forms, and the bare
// amount and currency each stands for.
func generate(n int) (decorated, bare, currencies []string) {
	r := rand.New(rand.NewPCG(14, 2024))
	decorated, bare, currencies = make([]string, n), make([]string, n), make([]string, n)
	for i := range n {
		// Amounts spread over magnitudes: cents up to 10^k, k in 1..9.
		cents := r.Int64N(pow10(1 + r.IntN(9)))
		neg := r.IntN(5) == 0
		whole, frac := cents/100, fmt.Sprintf("%02d", cents%100)
		a := strconv.FormatInt(whole, 10) + "." + frac
		g := group(whole, ",") + "." + frac
		e := group(whole, ".") + "," + frac
		nb := group(whole, "\u00a0") + "," + frac
		nn := group(whole, "\u202f") + "," + frac
		s, cur := forms[r.IntN(len(forms))](neg, a, g, e, nb, nn)
		decorated[i], currencies[i] = s, cur
		if neg && cents != 0 {
			a = "-" + a
		}
		bare[i] = a
	}
	return decorated, bare, currencies
}

func pow10(k int) int64 {
	p := int64(1)
	for range k {
		p *= 10
	}
	return p
}

func group(n int64, mark string) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(mark)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// verify checks, untimed, that every decorated value reads as its bare
// amount and currency, digit for digit.
func verify(p *values.Parser, decorated, bare, currencies []string) {
	for i, s := range decorated {
		out, ok := p.Canonical(s)
		if want := bare[i] + " " + currencies[i]; !ok || out != want {
			fmt.Fprintf(os.Stderr, "value %d %q read as %q (%v), want %q\n", i, s, out, ok, want)
			os.Exit(1)
		}
	}
	fmt.Printf("verified: all %d values read exactly as their bare amounts\n", len(decorated))
}

// exactness shows what a float sum of the same amounts loses.
func exactness(bare []string) {
	sum, err := values.NewSum(values.TypeNumber)
	check(err)
	var f float64
	for _, s := range bare {
		check(sum.Add(s))
		x, _ := strconv.ParseFloat(s, 64)
		f += x
	}
	exact := sum.Value()
	fmt.Printf("  sum of the amounts: exact %s; float64 %s\n", exact.String(), strconv.FormatFloat(f, 'f', 2, 64))
}

// measure runs f once after a GC, returning wall and CPU seconds and the
// allocations it made.
func measure(f func()) (wall, cpu, allocs float64) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0 := selfCPU()
	start := time.Now()
	f()
	wall = time.Since(start).Seconds()
	cpu = (selfCPU() - c0).Seconds()
	runtime.ReadMemStats(&m1)
	return wall, cpu, float64(m1.Mallocs - m0.Mallocs)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}

var sinkValue float64

func keep(v float64) { sinkValue += v }

func rate(n int, sec float64) float64 { return float64(n) / sec / 1e6 }

func ns(n int, sec float64) float64 { return sec * 1e9 / float64(n) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
