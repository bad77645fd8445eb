package system

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SpoolDir is one process's own directory for temporary files (spooled
// workbooks, spilled shared strings, worksheets being written), under a
// root such as <data dir>/tmp. A lock file inside it is held while the
// process lives, so OpenSpoolDir can remove the directories of processes
// that died without cleaning up, even while live processes share the root.
type SpoolDir struct {
	path string
	lock *os.File
}

const (
	spoolPrefix = "ade-spool-"
	lockName    = ".lock"
	// unlockedGrace is how old a directory without a lock file must be
	// before it is swept: a live process creates the lock right after
	// the directory.
	unlockedGrace = time.Minute
)

// OpenSpoolDir creates root if needed, removes the spool directories of
// processes that are gone, and creates and locks this process's own. It
// returns how many directories it removed.
func OpenSpoolDir(root string) (*SpoolDir, int, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, 0, fmt.Errorf("spool directory: %w", err)
	}
	swept, err := sweepSpool(root)
	if err != nil {
		return nil, swept, err
	}
	dir, err := os.MkdirTemp(root, spoolPrefix+"*")
	if err != nil {
		return nil, swept, fmt.Errorf("spool directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		var ok bool
		if ok, err = tryLock(lock); err == nil && !ok {
			err = errors.New("lock held by another process")
		}
		if err != nil {
			_ = lock.Close()
		}
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, swept, fmt.Errorf("spool directory lock: %w", err)
	}
	return &SpoolDir{path: dir, lock: lock}, swept, nil
}

// Path is the directory's path.
func (d *SpoolDir) Path() string { return d.path }

// Close removes the directory and everything in it.
func (d *SpoolDir) Close() error {
	err := os.RemoveAll(d.path)
	_ = d.lock.Close()
	return err
}

// sweepSpool removes the spool directories under root whose lock no
// process holds.
func sweepSpool(root string) (int, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return 0, fmt.Errorf("sweep spool directory: %w", err)
	}
	swept := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), spoolPrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if !abandoned(dir) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return swept, fmt.Errorf("sweep spool directory: %w", err)
		}
		swept++
	}
	return swept, nil
}

// abandoned reports whether no live process owns a spool directory.
func abandoned(dir string) bool {
	if !canLock {
		return false
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		fi, err := os.Stat(dir)
		return err == nil && time.Since(fi.ModTime()) > unlockedGrace
	}
	if err != nil {
		return false
	}
	defer lock.Close()
	ok, err := tryLock(lock)
	return err == nil && ok
}

// SpoolLocks reports whether spool directories are locked on this
// platform, so that those of dead processes can be swept.
const SpoolLocks = canLock
