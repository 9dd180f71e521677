//go:build !unix

package main

import "os"

// Without flock (Windows) the single-process rule is documented, not
// enforced.
func tryLockFile(*os.File) (bool, error) { return true, nil }

func unlockFile(*os.File) {}
