package bunstore_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/bunstore"
)

var _ = Describe("SQLite write transactions", func() {
	It("queue in the process instead of failing on SQLite's busy timeout when many wait longer than it", func() {
		// A busy timeout far shorter than the queue of writers below: left
		// to SQLite's own busy wait, most of them would end with "database
		// is locked".
		url := "sqlite:" + filepath.Join(GinkgoT().TempDir(), "gate.db") + "?_pragma=busy_timeout(50)"
		db, err := bunstore.Open(ctx, url)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(db.Close)
		_, err = db.SQL().ExecContext(ctx, "CREATE TABLE gate (n INTEGER NOT NULL)")
		Expect(err).NotTo(HaveOccurred())

		const writers, each, hold = 12, 8, 10 * time.Millisecond
		tx := db.Repositories().Tx
		var failed atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					err := tx.WithinTx(ctx, func(ctx context.Context) error {
						sqlTx, ok := bunstore.SQLTx(ctx, db)
						Expect(ok).To(BeTrue())
						if _, err := sqlTx.ExecContext(ctx, "INSERT INTO gate (n) VALUES (?)", w*each+i); err != nil {
							return err
						}
						time.Sleep(hold) // the write lock held, as a longer change would
						return nil
					})
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
				}
			})
		}
		wg.Wait()
		Expect(failed.Load()).To(BeZero(), "transactions failed, the first with: %v", firstErr.Load())
		var n int
		Expect(db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM gate").Scan(&n)).To(Succeed())
		Expect(n).To(Equal(writers * each))
	})

	It("still lets a transaction whose context is cancelled while it waits give up", func() {
		db, err := bunstore.Open(ctx, "sqlite:"+filepath.Join(GinkgoT().TempDir(), "cancel.db"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(db.Close)
		tx := db.Repositories().Tx
		holding, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- tx.WithinTx(ctx, func(context.Context) error {
				close(holding)
				<-release
				return nil
			})
		}()
		Eventually(holding).Should(BeClosed())
		c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		ran := false
		err = tx.WithinTx(c, func(context.Context) error { ran = true; return nil })
		Expect(err).To(HaveOccurred(), "the waiting transaction ends with its context")
		Expect(ran).To(BeFalse())
		close(release)
		Eventually(done).Should(Receive(BeNil()))
	})
})
