//go:build unix

package system

import (
	"errors"
	"os"
	"syscall"
)

// canLock says whether spool directories are locked, so that those of
// dead processes can be swept.
const canLock = true

// tryLock takes an exclusive advisory lock on f without waiting; it
// reports false when another open file description holds one. The lock
// goes with the file's close, or with the process.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
