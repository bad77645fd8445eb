package values_test

import "testing"

// testingAllocs is the average number of allocations of f.
func testingAllocs(f func()) float64 { return testing.AllocsPerRun(100, f) }
