package tabular

// Internals the external test package exercises directly.
var (
	ApplyTransforms = applyTransforms
	NormalizeHeader = normalizeHeader
	ParseDate       = parseDate
)
