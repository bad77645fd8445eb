package webui_test

import "github.com/ade-go/ade/ports"

func portsFilter(workspaceID string) ports.APIKeyFilter {
	return ports.APIKeyFilter{WorkspaceID: workspaceID}
}

func configFilter() ports.ConfigurationFilter { return ports.ConfigurationFilter{} }
