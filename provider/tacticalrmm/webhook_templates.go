package tacticalrmm

import "github.com/msp-psa/psa-host/shared/rmm"

// The recommended Tactical URL actions (Settings → Global Settings → URL
// Actions, type REST), one for failures and one for resolves, linked from
// an alert template's "failure action" and "resolved action".
//
// Every variable is quoted, numbers included: Tactical renders every falsy
// value as the bare word None and substitutes text without escaping, so an
// unquoted {{alert.id}} or {{alert.resolved}} can break the JSON. The
// message goes last: it is free text, and should a quote in it break the
// JSON (Tactical then sends the text as one JSON string) every other field
// is still read intact.
const (
	webhookHeaders = `{
  "Content-Type": "application/json",
  "` + WebhookSecretHeader + `": "` + rmm.WebhookSecretPlaceholder + `"
}`

	webhookFailureBody = `{
  "event": "failure",
  "alert_id": "{{alert.id}}",
  "agent_id": "{{agent.agent_id}}",
  "hostname": "{{agent.hostname}}",
  "client_id": "{{client.id}}",
  "client": "{{client.name}}",
  "site_id": "{{site.id}}",
  "site": "{{site.name}}",
  "alert_type": "{{alert.alert_type}}",
  "severity": "{{alert.severity}}",
  "alert_time": "{{alert.alert_time}}",
  "check_id": "{{alert.assigned_check.id}}",
  "task_id": "{{alert.assigned_task.id}}",
  "message": "{{alert.message}}"
}`

	webhookResolvedBody = `{
  "event": "resolved",
  "alert_id": "{{alert.id}}",
  "agent_id": "{{agent.agent_id}}",
  "hostname": "{{agent.hostname}}",
  "client_id": "{{client.id}}",
  "client": "{{client.name}}",
  "site_id": "{{site.id}}",
  "site": "{{site.name}}",
  "alert_type": "{{alert.alert_type}}",
  "severity": "{{alert.severity}}",
  "alert_time": "{{alert.alert_time}}",
  "resolved": "{{alert.resolved}}",
  "resolved_on": "{{alert.resolved_on}}",
  "check_id": "{{alert.assigned_check.id}}",
  "task_id": "{{alert.assigned_task.id}}",
  "message": "{{alert.message}}"
}`

	webhookNotes = `Create two URL actions of type REST with method POST, paste the URL, headers and body, ` +
		`and select them as the failure and resolved actions of the alert template your agents use. ` +
		`Under "Run actions only on", enable Agents, Checks and Tasks as wanted. ` +
		`Tactical v1.5.0 sends webhooks only when a script action is also set on the template (fixed in v1.5.1); ` +
		`v1.4.0 and older send the resolved webhook only when the failure action is a webhook too. ` +
		`Tactical does not retry failed deliveries, so keep the periodic alert backfill on.`
)

func webhookSpec() *rmm.WebhookSpec {
	return &rmm.WebhookSpec{
		SecretHeader: WebhookSecretHeader,
		Templates: []rmm.WebhookTemplate{
			{Name: "failure", Method: "POST", URL: rmm.WebhookURLPlaceholder, Headers: webhookHeaders,
				Body: webhookFailureBody, Notes: webhookNotes},
			{Name: "resolved", Method: "POST", URL: rmm.WebhookURLPlaceholder, Headers: webhookHeaders,
				Body: webhookResolvedBody, Notes: webhookNotes},
		},
	}
}
