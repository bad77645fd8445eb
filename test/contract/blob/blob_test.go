package blob_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/contract/blobcontract"
)

const bucketName = "ade-test"

// openStore opens url and closes the store when the spec ends.
func openStore(url string, opts ...blobstore.Option) *blobstore.Store {
	GinkgoHelper()
	s, err := blobstore.Open(context.Background(), url, opts...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	return s
}

// fakeS3 starts an S3-protocol server on loopback with an empty bucket and
// returns the store URL for it.
func fakeS3() (storeURL string, srv *httptest.Server) {
	GinkgoHelper()
	backend := s3mem.New()
	Expect(backend.CreateBucket(bucketName)).To(Succeed())
	srv = httptest.NewServer(gofakes3.New(backend).Server())
	DeferCleanup(srv.Close)
	return s3URL(bucketName, srv.URL), srv
}

func s3URL(bucket, endpoint string) string {
	q := url.Values{}
	q.Set("endpoint", endpoint)
	q.Set("region", "us-east-1")
	q.Set("use_path_style", "true")
	q.Set("anonymous", "true")
	q.Set("request_checksum_calculation", "when_required")
	q.Set("response_checksum_validation", "when_required")
	return "s3://" + bucket + "?" + q.Encode()
}

// tempFiles lists fileblob temp files (*.tmp) under dir.
func tempFiles(dir string) []string {
	GinkgoHelper()
	var found []string
	Expect(filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".tmp") {
			found = append(found, path)
		}
		return nil
	})).To(Succeed())
	return found
}

var _ = blobcontract.DescribeBlobStore("mem://", func() ports.BlobStore {
	return openStore("mem://")
})

var fileDir string

var _ = blobcontract.DescribeBlobStore("file://", func() ports.BlobStore {
	fileDir = filepath.Join(GinkgoT().TempDir(), "blobs")
	return openStore("file://" + filepath.ToSlash(fileDir))
}, blobcontract.Options{AssertNoDebris: func() {
	GinkgoHelper()
	Expect(tempFiles(fileDir)).To(BeEmpty(), "temp files left behind")
}})

var _ = blobcontract.DescribeBlobStore("s3:// (gofakes3)", func() ports.BlobStore {
	u, _ := fakeS3()
	return openStore(u)
})

var _ = Describe("blobstore.Open", func() {
	ctx := context.Background()

	DescribeTable("refuses a URL it cannot open",
		func(u string) {
			_, err := blobstore.Open(ctx, u)
			Expect(err).To(HaveOccurred())
		},
		Entry("unknown scheme", "ftp://host/dir"),
		Entry("no scheme", "/just/a/path"),
		Entry("malformed", "file://%zz"),
		Entry("unknown file parameter", "file:///tmp/x?colour=blue"),
	)

	It("names an unknown scheme as invalid input", func() {
		_, err := blobstore.Open(ctx, "gopher://x")
		Expect(err).To(MatchError(domain.ErrInvalidInput))
		Expect(err.Error()).To(ContainSubstring(`"gopher"`))
	})
})

var _ = Describe("file:// store", func() {
	var (
		ctx context.Context
		dir string
	)
	BeforeEach(func() {
		ctx = context.Background()
		dir = filepath.Join(GinkgoT().TempDir(), "a", "b")
	})

	It("creates its directory and writes objects as plain files without sidecars", func() {
		s := openStore("file://" + dir)
		_, err := s.Put(ctx, "docs/one.csv", strings.NewReader("a,b\n"), ports.PutOptions{ContentType: "text/csv"})
		Expect(err).NotTo(HaveOccurred())
		Expect(os.ReadFile(filepath.Join(dir, "docs", "one.csv"))).To(Equal([]byte("a,b\n")))
		var names []string
		Expect(filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if !d.IsDir() {
				names = append(names, d.Name())
			}
			return err
		})).To(Succeed())
		Expect(names).To(ConsistOf("one.csv"))
	})

	It("works without fsync too", func() {
		s := openStore("file://"+dir, blobstore.WithSync(false))
		info, err := s.Put(ctx, "k", strings.NewReader("abc"), ports.PutOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Size).To(Equal(int64(3)))
	})

	It("sweeps stale temp files left by a crash at Open and keeps fresh ones", func() {
		Expect(os.MkdirAll(filepath.Join(dir, "sub"), 0o755)).To(Succeed())
		stale := filepath.Join(dir, "sub", "doc.18a2b3c4d5e6f708.tmp")
		fresh := filepath.Join(dir, "doc2.18a2b3c4d5e6f709.tmp")
		object := filepath.Join(dir, "report.tmp") // an object whose key ends in .tmp
		for _, p := range []string{stale, fresh, object} {
			Expect(os.WriteFile(p, []byte("partial"), 0o644)).To(Succeed())
		}
		old := time.Now().Add(-2 * time.Hour)
		Expect(os.Chtimes(stale, old, old)).To(Succeed())
		Expect(os.Chtimes(object, old, old)).To(Succeed())

		s := openStore("file://" + dir)
		Expect(stale).NotTo(BeAnExistingFile())
		Expect(fresh).To(BeAnExistingFile())
		Expect(object).To(BeAnExistingFile())

		n, err := s.SweepTemp(ctx, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(1))
		Expect(fresh).NotTo(BeAnExistingFile())
	})

	It("removes the temp files of one key, whatever their age, and nothing else", func() {
		s := openStore("file://" + dir)
		_, err := s.Put(ctx, "documents/w/doc", strings.NewReader("kept"), ports.PutOptions{})
		Expect(err).NotTo(HaveOccurred())
		sub := filepath.Join(dir, "documents", "w")
		mine := []string{filepath.Join(sub, "doc2.18a2b3c4d5e6f708.tmp"), filepath.Join(sub, "doc2.18a2b3c4d5e6f709.tmp")}
		others := []string{filepath.Join(sub, "doc.18a2b3c4d5e6f708.tmp"), filepath.Join(sub, "doc2.x.18a2b3c4d5e6f708.tmp"),
			filepath.Join(sub, "doc2.tmp")}
		for _, p := range append(mine, others...) {
			Expect(os.WriteFile(p, []byte("partial"), 0o644)).To(Succeed())
		}
		n, err := s.RemovePartials(ctx, "documents/w/doc2")
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(2))
		for _, p := range mine {
			Expect(p).NotTo(BeAnExistingFile())
		}
		for _, p := range append(others, filepath.Join(sub, "doc")) {
			Expect(p).To(BeAnExistingFile())
		}
		n, err = s.RemovePartials(ctx, "../escape")
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(BeZero())
	})

	It("fails Ping with ErrUnavailable once its directory is gone", func() {
		s := openStore("file://" + dir)
		Expect(s.Ping(ctx)).To(Succeed())
		Expect(os.RemoveAll(dir)).To(Succeed())
		Expect(s.Ping(ctx)).To(MatchError(domain.ErrUnavailable))
	})

	It("keeps a key with ../ inside its directory", func() {
		s := openStore("file://" + dir)
		_, err := s.Put(ctx, "../escape", strings.NewReader("x"), ports.PutOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.Join(dir, "..", "escape")).NotTo(BeAnExistingFile())
		r, err := s.Open(ctx, "../escape", 0, -1)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(r.Close)
		Expect(io.ReadAll(r)).To(Equal([]byte("x")))
	})

	It("refuses an empty key as invalid input", func() {
		s := openStore("file://" + dir)
		_, err := s.Put(ctx, "", strings.NewReader("x"), ports.PutOptions{})
		Expect(err).To(MatchError(domain.ErrInvalidInput))
	})
})

var _ = Describe("s3:// store", func() {
	ctx := context.Background()

	It("fails Ping with ErrUnavailable when the bucket does not exist", func() {
		_, srv := fakeS3()
		s := openStore(s3URL("no-such-bucket", srv.URL))
		Expect(s.Ping(ctx)).To(MatchError(domain.ErrUnavailable))
	})

	It("fails Ping and Put when the server is down, storing nothing", func() {
		u, srv := fakeS3()
		s := openStore(u)
		Expect(s.Ping(ctx)).To(Succeed())
		srv.Close()
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		Expect(s.Ping(pctx)).To(MatchError(domain.ErrUnavailable))
		_, err := s.Put(pctx, "k", bytes.NewReader([]byte("abc")), ports.PutOptions{})
		Expect(err).To(MatchError(domain.ErrUnavailable))
	})
})
