//go:build !unix

package system

import "os"

// canLock is false here: there is no advisory lock to tell a live
// process's spool directory from a dead one's, so none is swept (each
// process still removes its own on Close).
const canLock = false

func tryLock(*os.File) (bool, error) { return true, nil }
