package rmmgrpc

import (
	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func metadataToProto(m rmm.Metadata) *rmmv1.Metadata {
	return &rmmv1.Metadata{
		Name:            m.Name,
		DisplayName:     m.DisplayName,
		Version:         m.Version,
		ProtocolVersion: int64(m.ProtocolVersion),
		Editions:        stringsOf(m.Editions),
		Capabilities:    stringsOf(m.Capabilities),
		AuthModes:       listToProto(m.AuthModes, authModeSpecToProto),
		Webhook:         webhookSpecToProto(m.Webhook),
	}
}

func metadataFromProto(m *rmmv1.Metadata) rmm.Metadata {
	return rmm.Metadata{
		Name:            m.GetName(),
		DisplayName:     m.GetDisplayName(),
		Version:         m.GetVersion(),
		ProtocolVersion: int(m.GetProtocolVersion()),
		Editions:        stringsAs[rmm.Edition](m.GetEditions()),
		Capabilities:    stringsAs[rmm.Capability](m.GetCapabilities()),
		AuthModes:       listFromProto(m.GetAuthModes(), authModeSpecFromProto),
		Webhook:         webhookSpecFromProto(m.GetWebhook()),
	}
}

func authModeSpecToProto(a rmm.AuthModeSpec) *rmmv1.AuthModeSpec {
	return &rmmv1.AuthModeSpec{
		Mode:            string(a.Mode),
		RequiredSecrets: a.RequiredSecrets,
		OptionalSecrets: a.OptionalSecrets,
	}
}

func authModeSpecFromProto(a *rmmv1.AuthModeSpec) rmm.AuthModeSpec {
	return rmm.AuthModeSpec{
		Mode:            rmm.AuthMode(a.GetMode()),
		RequiredSecrets: orNil(a.GetRequiredSecrets()),
		OptionalSecrets: orNil(a.GetOptionalSecrets()),
	}
}

func webhookSpecToProto(w *rmm.WebhookSpec) *rmmv1.WebhookSpec {
	if w == nil {
		return nil
	}
	return &rmmv1.WebhookSpec{
		SecretHeader: w.SecretHeader,
		Templates:    listToProto(w.Templates, webhookTemplateToProto),
	}
}

func webhookSpecFromProto(w *rmmv1.WebhookSpec) *rmm.WebhookSpec {
	if w == nil {
		return nil
	}
	return &rmm.WebhookSpec{
		SecretHeader: w.GetSecretHeader(),
		Templates:    listFromProto(w.GetTemplates(), webhookTemplateFromProto),
	}
}

func webhookTemplateToProto(t rmm.WebhookTemplate) *rmmv1.WebhookTemplate {
	return &rmmv1.WebhookTemplate{
		Name: t.Name, Method: t.Method, Url: t.URL, Headers: t.Headers, Body: t.Body, Notes: t.Notes,
	}
}

func webhookTemplateFromProto(t *rmmv1.WebhookTemplate) rmm.WebhookTemplate {
	return rmm.WebhookTemplate{
		Name: t.GetName(), Method: t.GetMethod(), URL: t.GetUrl(),
		Headers: t.GetHeaders(), Body: t.GetBody(), Notes: t.GetNotes(),
	}
}
