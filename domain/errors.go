package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers match them with errors.Is; typed errors below
// report true for the sentinel of their kind.
var (
	// ErrNotFound: the entity does not exist, belongs to another workspace,
	// or was deleted.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change collides with the current state (a terminal
	// job, a duplicate key, a concurrent change).
	ErrConflict = errors.New("conflict")
	// ErrInvalidInput: the request itself is malformed (bad field values).
	ErrInvalidInput = errors.New("invalid input")
	// ErrUnprocessable: the request is well formed but refers to things that
	// do not resolve, or carries an invalid configuration payload.
	ErrUnprocessable = errors.New("unprocessable")
	// ErrTooLarge: a body exceeded its size limit.
	ErrTooLarge = errors.New("too large")
	// ErrUnavailable: a dependency (database, blob store) does not answer.
	ErrUnavailable = errors.New("unavailable")
	// ErrUnauthenticated: no valid credentials were presented.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: the credentials do not allow the action.
	ErrForbidden = errors.New("forbidden")
)

// FieldError names one offending field and why it was refused. Field is a
// path such as "metadata" or "payload.fields[2].transforms[0]".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError reports refused input with the fields at fault. Its Kind
// is ErrInvalidInput or ErrUnprocessable, and errors.Is matches that kind.
type ValidationError struct {
	Kind    error
	Message string
	Fields  []FieldError
}

// NewInvalid returns a ValidationError of kind ErrInvalidInput.
func NewInvalid(message string, fields ...FieldError) *ValidationError {
	return &ValidationError{Kind: ErrInvalidInput, Message: message, Fields: fields}
}

// NewUnprocessable returns a ValidationError of kind ErrUnprocessable.
func NewUnprocessable(message string, fields ...FieldError) *ValidationError {
	return &ValidationError{Kind: ErrUnprocessable, Message: message, Fields: fields}
}

// Error implements error.
func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// Is reports whether target is the error's kind.
func (e *ValidationError) Is(target error) bool { return target == e.Kind }

// WithPrefix returns a copy whose field paths are prefixed with prefix and a
// dot ("payload" + "fields[0]" = "payload.fields[0]").
func (e *ValidationError) WithPrefix(prefix string) *ValidationError {
	out := &ValidationError{Kind: e.Kind, Message: e.Message, Fields: make([]FieldError, len(e.Fields))}
	for i, f := range e.Fields {
		if f.Field == "" {
			f.Field = prefix
		} else if strings.HasPrefix(f.Field, "[") {
			f.Field = prefix + f.Field
		} else {
			f.Field = prefix + "." + f.Field
		}
		out.Fields[i] = f
	}
	return out
}

// TooLargeError reports a body over its limit; errors.Is matches ErrTooLarge.
type TooLargeError struct {
	LimitBytes int64
}

// Error implements error.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("body exceeds the limit of %d bytes", e.LimitBytes)
}

// Is reports whether target is ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ConflictError is a change refused because of the current state, with a
// message a client may read (it names no internal detail); errors.Is
// matches ErrConflict, and the cause, if any, stays in the chain for logs.
type ConflictError struct {
	Message string
	Err     error
}

// NewConflict returns a ConflictError with message and the cause err
// (nil for none).
func NewConflict(message string, err error) *ConflictError {
	return &ConflictError{Message: message, Err: err}
}

// Error implements error.
func (e *ConflictError) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ConflictError) Unwrap() error { return e.Err }

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// TransitionError reports a refused job status change; errors.Is matches
// ErrConflict.
type TransitionError struct {
	From, To JobStatus
}

// Error implements error.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("job cannot move from %s to %s", e.From, e.To)
}

// Is reports whether target is ErrConflict.
func (e *TransitionError) Is(target error) bool { return target == ErrConflict }

// Detail says, for a client, why the change was refused.
func (e *TransitionError) Detail() string {
	if e.From.IsTerminal() {
		return fmt.Sprintf("the job has already ended (%s): it cannot become %s", e.From, e.To)
	}
	return fmt.Sprintf("a %s job cannot become %s", e.From, e.To)
}
