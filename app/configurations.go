package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// ConfigurationService keeps versioned extraction configurations.
type ConfigurationService struct{ c *core }

// CreateConfigurationRequest describes a new configuration version.
type CreateConfigurationRequest struct {
	WorkspaceID  string
	DocumentType string
	Title        string
	Payload      map[string]any
}

// Create validates the payload with the extractor it names and stores it as
// the next version of its document type (previous max + 1), inactive, with
// its configuration.created event. The document type is locked while the
// version is read and taken, so concurrent creations get consecutive
// versions instead of colliding.
func (s *ConfigurationService) Create(ctx context.Context, req CreateConfigurationRequest) (*domain.Configuration, error) {
	if err := domain.ValidateDocumentType(req.DocumentType); err != nil {
		return nil, domain.NewInvalid("invalid configuration", domain.FieldError{Field: "document_type", Message: err.Error()})
	}
	if req.Payload != nil {
		// What no store can hold is refused before the extractor reads it.
		payload, err := domain.ValidatePayload(req.Payload)
		if err != nil {
			return nil, err
		}
		req.Payload = payload
	}
	if err := s.validatePayload(req.Payload); err != nil {
		return nil, err
	}
	if _, err := s.c.Repos.Workspaces.Get(ctx, req.WorkspaceID); err != nil {
		return nil, fmt.Errorf("create configuration: %w", err)
	}
	var cfg *domain.Configuration
	err := s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.c.Repos.Configurations.LockDocumentType(ctx, req.WorkspaceID, req.DocumentType); err != nil {
			return err
		}
		v, err := s.c.Repos.Configurations.MaxVersion(ctx, req.WorkspaceID, req.DocumentType)
		if err != nil {
			return err
		}
		cfg, err = domain.NewConfiguration(domain.NewConfigurationParams{
			ID: s.c.IDs.NewID(), WorkspaceID: req.WorkspaceID, DocumentType: req.DocumentType,
			Title: req.Title, Version: v + 1, Payload: req.Payload, Now: s.c.Clock.Now(),
		})
		if err != nil {
			return err
		}
		if err := s.c.Repos.Configurations.Create(ctx, cfg); err != nil {
			return err
		}
		return s.c.record(ctx, req.WorkspaceID, domain.EventConfigurationCreated, domain.EntityConfiguration, cfg.ID(),
			map[string]any{"document_type": cfg.DocumentType(), "version": cfg.Version(), "extractor": cfg.ExtractorName()})
	})
	if err != nil {
		return nil, fmt.Errorf("create configuration: %w", err)
	}
	return cfg, nil
}

// validatePayload checks that the payload names a registered extractor and
// that the extractor accepts it; field paths are prefixed with "payload".
func (s *ConfigurationService) validatePayload(payload map[string]any) error {
	if payload == nil {
		// A missing member is the request's fault (400), like every other
		// required member; a payload that is there but wrong is 422.
		return domain.NewInvalid("invalid configuration", domain.FieldError{Field: "payload", Message: "is required"})
	}
	name, _ := payload["extractor"].(string)
	ex, ok := s.c.Extractors.Get(name)
	if !ok {
		return domain.NewUnprocessable("invalid configuration", domain.FieldError{Field: "payload.extractor",
			Message: "must name a known extractor: " + strings.Join(s.c.Extractors.Names(), ", ")})
	}
	err := ex.ValidatePayload(payload)
	if err == nil {
		return nil
	}
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		out := ve.WithPrefix("payload")
		out.Kind = domain.ErrUnprocessable
		return out
	}
	return domain.NewUnprocessable("invalid configuration", domain.FieldError{Field: "payload", Message: err.Error()})
}

// Get returns a configuration.
func (s *ConfigurationService) Get(ctx context.Context, workspaceID, id string) (*domain.Configuration, error) {
	return s.c.Repos.Configurations.Get(ctx, workspaceID, id)
}

// List returns the workspace's configurations matching f, newest first.
func (s *ConfigurationService) List(ctx context.Context, workspaceID string, f ports.ConfigurationFilter, p PageRequest) (Page[*domain.Configuration], error) {
	if err := checkLines("invalid filter", "document_type", f.DocumentType); err != nil {
		return Page[*domain.Configuration]{}, err
	}
	return list(p, func(pp ports.Page) ([]*domain.Configuration, error) {
		return s.c.Repos.Configurations.List(ctx, workspaceID, f, pp)
	})
}

// Activate makes a configuration the only active version of its document
// type, atomically: the previous active version is deactivated in the same
// transaction, with a configuration.activated event. Activating the active
// version changes nothing and records nothing. The document type is locked
// first, so concurrent activations of one type take turns, each replacing
// the one before it.
func (s *ConfigurationService) Activate(ctx context.Context, workspaceID, id string) (*domain.Configuration, error) {
	var cfg *domain.Configuration
	err := s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		target, err := s.c.Repos.Configurations.Get(ctx, workspaceID, id)
		if err != nil {
			return err
		}
		if err := s.c.Repos.Configurations.LockDocumentType(ctx, workspaceID, target.DocumentType()); err != nil {
			return err
		}
		// Read again under the lock: an activation that held it may have
		// changed the target.
		if target, err = s.c.Repos.Configurations.Get(ctx, workspaceID, id); err != nil {
			return err
		}
		if target.IsActive() {
			cfg = target
			return nil
		}
		now := s.c.Clock.Now()
		previous := ""
		current, err := s.c.Repos.Configurations.GetActive(ctx, workspaceID, target.DocumentType())
		switch {
		case err == nil:
			previous = current.ID()
			if _, err := s.c.Repos.Configurations.Update(ctx, workspaceID, current.ID(), func(c *domain.Configuration) error {
				c.Deactivate(now)
				return nil
			}); err != nil {
				return err
			}
		case !errors.Is(err, domain.ErrNotFound):
			return err
		}
		cfg, err = s.c.Repos.Configurations.Update(ctx, workspaceID, id, func(c *domain.Configuration) error {
			c.Activate(now)
			return nil
		})
		if err != nil {
			return err
		}
		return s.c.record(ctx, workspaceID, domain.EventConfigurationActivated, domain.EntityConfiguration, id,
			map[string]any{"document_type": cfg.DocumentType(), "version": cfg.Version(), "previous_configuration_id": previous})
	})
	if err != nil {
		return nil, fmt.Errorf("activate configuration: %w", err)
	}
	return cfg, nil
}

// Events returns a configuration's event timeline, oldest first.
func (s *ConfigurationService) Events(ctx context.Context, workspaceID, id string, p PageRequest) (Page[*domain.Event], error) {
	if _, err := s.c.Repos.Configurations.Get(ctx, workspaceID, id); err != nil {
		return Page[*domain.Event]{}, err
	}
	return list(p, func(pp ports.Page) ([]*domain.Event, error) {
		return s.c.Repos.Events.List(ctx, workspaceID, ports.EventFilter{EntityType: domain.EntityConfiguration, EntityID: id, Ascending: true}, pp)
	})
}
