package benchkit

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
)

// XLSXFloor is the least work any XLSX reader does on a workbook: inflate
// its worksheet and shared-strings parts and make one pass over their
// bytes (counting '<'). It returns the bytes inflated. The XLSX
// benchmarks measure their readers against it.
func XLSXFloor(path string) (int64, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	buf := make([]byte, 256<<10)
	var n int64
	tags := 0
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		if !strings.HasPrefix(name, "xl/worksheets/") && name != "xl/sharedstrings.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return n, err
		}
		for {
			k, err := rc.Read(buf)
			n += int64(k)
			tags += bytes.Count(buf[:k], []byte{'<'})
			if err == io.EOF {
				break
			}
			if err != nil {
				rc.Close()
				return n, err
			}
		}
		if err := rc.Close(); err != nil {
			return n, err
		}
	}
	_ = tags // the pass over the bytes is the work measured
	return n, nil
}
