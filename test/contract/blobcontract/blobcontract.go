// Package blobcontract is the behaviour every ports.BlobStore must show,
// as Ginkgo specs that any adapter's test suite registers with its own
// factory (in the manner of gocloud's blob/drivertest).
package blobcontract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Options adapts the suite to one adapter.
type Options struct {
	// AssertNoDebris, when set, runs after every failed Put and must fail
	// the spec when the adapter left anything behind (temp files, parts).
	AssertNoDebris func()
	// LargeSize is the size of the round-trip object; 0 means 6 MiB + 7,
	// more than one S3 part and several read chunks. Keep it a few MiB:
	// fake S3 servers hold objects in RAM.
	LargeSize int
}

// DescribeBlobStore registers the BlobStore contract under name. factory
// runs in a BeforeEach and returns the store for one spec; it registers
// its own cleanup with DeferCleanup. It returns true so that it can be
// called in a package-level var declaration.
func DescribeBlobStore(name string, factory func() ports.BlobStore, opts ...Options) bool {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.LargeSize == 0 {
		o.LargeSize = 6<<20 + 7
	}
	var seq atomic.Int64

	return Describe(name+" BlobStore contract", func() {
		var (
			ctx   context.Context
			store ports.BlobStore
			key   func(string) string
		)

		BeforeEach(func() {
			ctx = context.Background()
			store = factory()
			prefix := fmt.Sprintf("contract-%d-%d/", GinkgoParallelProcess(), seq.Add(1))
			key = func(s string) string { return prefix + s }
		})

		put := func(k string, data []byte, po ports.PutOptions) ports.BlobInfo {
			GinkgoHelper()
			info, err := store.Put(ctx, k, bytes.NewReader(data), po)
			Expect(err).NotTo(HaveOccurred())
			return info
		}
		read := func(k string, offset, length int64) []byte {
			GinkgoHelper()
			r, err := store.Open(ctx, k, offset, length)
			Expect(err).NotTo(HaveOccurred())
			defer func() { Expect(r.Close()).To(Succeed()) }()
			got, err := io.ReadAll(r)
			Expect(err).NotTo(HaveOccurred())
			return got
		}
		expectMissing := func(k string) {
			GinkgoHelper()
			_, err := store.Open(ctx, k, 0, -1)
			Expect(err).To(MatchError(domain.ErrNotFound))
		}
		afterFailedPut := func(k string) {
			GinkgoHelper()
			expectMissing(k)
			if o.AssertNoDebris != nil {
				o.AssertNoDebris()
			}
		}

		Describe("Put and Open", func() {
			It("round-trips a multi-chunk object with its size and sha256", func() {
				data := Bytes(1, o.LargeSize)
				info := put(key("large"), data, ports.PutOptions{ContentType: "application/octet-stream"})
				Expect(info).To(Equal(ports.BlobInfo{Size: int64(len(data)), SHA256: SHA256Hex(data)}))
				Expect(bytes.Equal(read(key("large"), 0, -1), data)).To(BeTrue(), "content differs")
			})

			It("reports the sha256 as lowercase hex", func() {
				info := put(key("hex"), []byte("abc"), ports.PutOptions{})
				Expect(info).To(Equal(ports.BlobInfo{Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}))
			})

			It("stores an empty object", func() {
				info := put(key("empty"), nil, ports.PutOptions{})
				Expect(info).To(Equal(ports.BlobInfo{Size: 0, SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}))
				Expect(read(key("empty"), 0, -1)).To(BeEmpty())
				Expect(read(key("empty"), 0, 10)).To(BeEmpty())
			})

			It("accepts an object of exactly MaxBytes", func() {
				data := Bytes(2, 4096)
				info := put(key("exact"), data, ports.PutOptions{MaxBytes: 4096})
				Expect(info.Size).To(Equal(int64(4096)))
				Expect(read(key("exact"), 0, -1)).To(Equal(data))
			})

			It("replaces an existing object", func() {
				put(key("over"), []byte("first version, the longer one"), ports.PutOptions{})
				info := put(key("over"), []byte("second"), ports.PutOptions{})
				Expect(info).To(Equal(ports.BlobInfo{Size: 6, SHA256: SHA256Hex([]byte("second"))}))
				Expect(string(read(key("over"), 0, -1))).To(Equal("second"))
			})

			It("keeps distinct objects apart under concurrent puts", func() {
				const n = 8
				datas := make([][]byte, n)
				for i := range datas {
					datas[i] = Bytes(uint64(100+i), 256<<10+i)
				}
				var wg sync.WaitGroup
				infos := make([]ports.BlobInfo, n)
				errs := make([]error, n)
				for i := range n {
					wg.Go(func() {
						defer GinkgoRecover()
						infos[i], errs[i] = store.Put(ctx, key(fmt.Sprintf("conc-%d", i)), bytes.NewReader(datas[i]), ports.PutOptions{})
					})
				}
				wg.Wait()
				for i := range n {
					Expect(errs[i]).NotTo(HaveOccurred())
					Expect(infos[i].SHA256).To(Equal(SHA256Hex(datas[i])))
					Expect(bytes.Equal(read(key(fmt.Sprintf("conc-%d", i)), 0, -1), datas[i])).To(BeTrue(), "object %d differs", i)
				}
			})
		})

		Describe("Open ranges", func() {
			const content = "abcdefghijklmnopqrstuvwxyz"
			BeforeEach(func() {
				put(key("abc"), []byte(content), ports.PutOptions{})
			})

			DescribeTable("returns the bytes of the range, cut at the end",
				func(offset, length int64, want string) {
					Expect(string(read(key("abc"), offset, length))).To(Equal(want))
				},
				Entry("whole object", int64(0), int64(-1), content),
				Entry("any negative length reads to the end", int64(0), int64(-42), content),
				Entry("offset to the end", int64(10), int64(-1), content[10:]),
				Entry("offset and length", int64(10), int64(5), content[10:15]),
				Entry("first byte", int64(0), int64(1), "a"),
				Entry("last byte", int64(25), int64(1), "z"),
				Entry("zero length", int64(3), int64(0), ""),
				Entry("length past the end", int64(20), int64(100), content[20:]),
				Entry("offset at the end", int64(26), int64(-1), ""),
				Entry("offset past the end", int64(30), int64(5), ""),
			)

			It("refuses a negative offset as invalid input", func() {
				_, err := store.Open(ctx, key("abc"), -1, 5)
				Expect(err).To(MatchError(domain.ErrInvalidInput))
			})
		})

		Describe("missing objects", func() {
			It("fails Open with ErrNotFound", func() {
				expectMissing(key("nothing"))
				_, err := store.Open(ctx, key("nothing"), 5, 10)
				Expect(err).To(MatchError(domain.ErrNotFound))
			})
		})

		Describe("Delete", func() {
			It("removes the object and is idempotent", func() {
				put(key("del"), []byte("bye"), ports.PutOptions{})
				Expect(store.Delete(ctx, key("del"))).To(Succeed())
				expectMissing(key("del"))
				Expect(store.Delete(ctx, key("del"))).To(Succeed())
				Expect(store.Delete(ctx, key("never-there"))).To(Succeed())
			})
		})

		Describe("DeletePrefix", func() {
			It("removes every object under the prefix, nested ones too, and nothing else", func() {
				put(key("job/a"), []byte("a"), ports.PutOptions{})
				put(key("job/b"), []byte("b"), ports.PutOptions{})
				put(key("job/deep/c"), []byte("c"), ports.PutOptions{})
				put(key("jobless"), []byte("keep"), ports.PutOptions{})
				put(key("other/a"), []byte("keep"), ports.PutOptions{})
				n, err := store.DeletePrefix(ctx, key("job/"))
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(3))
				expectMissing(key("job/a"))
				expectMissing(key("job/b"))
				expectMissing(key("job/deep/c"))
				Expect(read(key("jobless"), 0, -1)).To(Equal([]byte("keep")))
				Expect(read(key("other/a"), 0, -1)).To(Equal([]byte("keep")))

				n, err = store.DeletePrefix(ctx, key("job/"))
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(BeZero(), "a second sweep finds nothing")
			})

			It("refuses an empty prefix", func() {
				_, err := store.DeletePrefix(ctx, "")
				Expect(err).To(MatchError(domain.ErrInvalidInput))
			})
		})

		Describe("failed Put", func() {
			It("refuses more than MaxBytes with a TooLargeError, reading at most MaxBytes+1, and stores nothing", func() {
				src := &countingReader{r: bytes.NewReader(Bytes(3, 3<<20))}
				_, err := store.Put(ctx, key("big"), src, ports.PutOptions{MaxBytes: 1000})
				Expect(err).To(MatchError(domain.ErrTooLarge))
				var tl *domain.TooLargeError
				Expect(errors.As(err, &tl)).To(BeTrue())
				Expect(tl.LimitBytes).To(Equal(int64(1000)))
				Expect(src.n).To(BeNumerically("<=", 1001))
				afterFailedPut(key("big"))
			})

			It("stores nothing when the source fails mid-stream", func() {
				boom := errors.New("source broke")
				src := io.MultiReader(bytes.NewReader(Bytes(4, 2<<20+5)), errReader{boom})
				_, err := store.Put(ctx, key("broken"), src, ports.PutOptions{})
				Expect(err).To(MatchError(boom))
				afterFailedPut(key("broken"))
			})

			It("stores nothing when the source fails before the first byte", func() {
				boom := errors.New("source broke early")
				_, err := store.Put(ctx, key("broken-early"), errReader{boom}, ports.PutOptions{})
				Expect(err).To(MatchError(boom))
				afterFailedPut(key("broken-early"))
			})

			It("stores nothing when the context is cancelled mid-stream", func() {
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				src := &cancellingReader{r: bytes.NewReader(Bytes(5, 3<<20)), after: 1 << 20, cancel: cancel}
				_, err := store.Put(cctx, key("cancelled"), src, ports.PutOptions{})
				Expect(err).To(MatchError(context.Canceled))
				afterFailedPut(key("cancelled"))
			})

			It("stores nothing when the context is cancelled on the last read", func() {
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				data := Bytes(6, 1000)
				src := &cancellingReader{r: bytes.NewReader(data), after: int64(len(data)), cancel: cancel}
				_, err := store.Put(cctx, key("cancelled-late"), src, ports.PutOptions{})
				Expect(err).To(MatchError(context.Canceled))
				afterFailedPut(key("cancelled-late"))
			})

			It("leaves the previous object in place", func() {
				put(key("keep"), []byte("old"), ports.PutOptions{})
				_, err := store.Put(ctx, key("keep"), bytes.NewReader(Bytes(7, 5000)), ports.PutOptions{MaxBytes: 10})
				Expect(err).To(MatchError(domain.ErrTooLarge))
				Expect(string(read(key("keep"), 0, -1))).To(Equal("old"))
			})
		})

		Describe("Ping", func() {
			It("succeeds on a reachable store", func() {
				Expect(store.Ping(ctx)).To(Succeed())
			})
		})
	})
}

// Bytes returns n pseudo-random bytes determined by seed.
func Bytes(seed uint64, n int) []byte {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// SHA256Hex is the lowercase hex sha256 of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// cancellingReader cancels the context once after bytes have been read,
// and keeps delivering data, as a client that goes away mid-upload would
// leave a handler's reader.
type cancellingReader struct {
	r      io.Reader
	after  int64
	n      int64
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}
