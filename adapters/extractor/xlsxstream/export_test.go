package xlsxstream

// SetFastPaths turns the fast paths of the cell and shared-string readers
// on or off, so that specs can compare them with the general path.
func SetFastPaths(on bool) { fastPaths = on }
