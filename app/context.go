package app

import (
	"context"

	"github.com/ade-go/ade/domain"
)

type (
	actorKey     struct{}
	requestIDKey struct{}
	sourceKey    struct{}
)

// WithActor returns a context whose changes are recorded as made by a.
func WithActor(ctx context.Context, a domain.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the context's actor, or domain.SystemActor.
func ActorFrom(ctx context.Context) domain.Actor {
	if a, ok := ctx.Value(actorKey{}).(domain.Actor); ok {
		return a
	}
	return domain.SystemActor
}

// WithRequestID returns a context whose events carry the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the context's request id, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithSource returns a context whose events name source ("api", "worker",
// "cli") as where the change came from.
func WithSource(ctx context.Context, source string) context.Context {
	return context.WithValue(ctx, sourceKey{}, source)
}

// SourceFrom returns the context's source, or "app".
func SourceFrom(ctx context.Context) string {
	if s, ok := ctx.Value(sourceKey{}).(string); ok && s != "" {
		return s
	}
	return "app"
}
