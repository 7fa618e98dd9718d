package tacticalfake

// Objects that are the same for every agent of the generated fleet, taken
// from shared/tactical/fixtures/agent_detail.json (compact JSON).

// alertTemplateJSON is AlertTemplateSerializer for template 2, the one
// generated agents point at.
const alertTemplateJSON = `{"id":2,"agent_settings":true,"check_settings":true,"task_settings":false,"core_settings":[],"default_template":true,"action_name":"PSA webhook - failure","resolved_action_name":"PSA webhook - resolved","applied_count":2,"created_by":"jdoe","created_time":"2025-11-03T17:40:18.220937Z","modified_by":"jdoe","modified_time":"2026-06-16T09:02:51.776104Z","name":"PSA ticketing","is_active":true,"action_type":"rest","action_args":[],"action_env_vars":[],"action_timeout":15,"resolved_action_type":"rest","resolved_action_args":[],"resolved_action_env_vars":[],"resolved_action_timeout":15,"email_recipients":[],"text_recipients":[],"email_from":null,"agent_email_on_resolved":false,"agent_text_on_resolved":false,"agent_always_email":null,"agent_always_text":null,"agent_always_alert":true,"agent_periodic_alert_days":0,"agent_script_actions":true,"check_email_alert_severity":["error"],"check_text_alert_severity":[],"check_dashboard_alert_severity":["error","warning","info"],"check_email_on_resolved":false,"check_text_on_resolved":false,"check_always_email":null,"check_always_text":null,"check_always_alert":null,"check_periodic_alert_days":0,"check_script_actions":true,"task_email_alert_severity":[],"task_text_alert_severity":[],"task_dashboard_alert_severity":[],"task_email_on_resolved":false,"task_text_on_resolved":false,"task_always_email":null,"task_always_text":null,"task_always_alert":null,"task_periodic_alert_days":0,"task_script_actions":false,"exclude_workstations":false,"exclude_servers":false,"action":null,"action_rest":4,"resolved_action":null,"resolved_action_rest":5,"excluded_sites":[],"excluded_clients":[],"excluded_agents":[]}`

// Default policies by monitoring type (PolicySerializer).
const (
	workstationPolicyJSON = `{"id":1,"created_by":"jdoe","created_time":"2025-10-30T21:09:02.118376Z","modified_by":"jdoe","modified_time":"2026-03-02T16:18:27.391002Z","name":"Default Workstations","desc":"Baseline checks and patching for all workstations","active":true,"enforced":false,"alert_template":null,"excluded_sites":[],"excluded_clients":[6],"excluded_agents":[]}`
	serverPolicyJSON      = `{"id":2,"created_by":"jdoe","created_time":"2025-10-30T21:09:02.118376Z","modified_by":"jdoe","modified_time":"2026-03-02T16:18:27.391002Z","name":"Default Servers","desc":"Baseline checks and patching for all servers","active":true,"enforced":false,"alert_template":null,"excluded_sites":[],"excluded_clients":[],"excluded_agents":[]}`
)

// effectivePatchPolicyJSON is the WinUpdatePolicy of policy 1.
const effectivePatchPolicyJSON = `{"id":12,"created_by":"jdoe","created_time":"2025-10-30T21:10:44.870031Z","modified_by":"jdoe","modified_time":"2026-03-02T16:18:27.440215Z","critical":"approve","important":"approve","moderate":"manual","low":"ignore","other":"ignore","run_time_hour":2,"run_time_frequency":"daily","run_time_days":[0,1,2,3,4],"run_time_day":1,"reboot_after_install":"required","reprocess_failed_inherit":false,"reprocess_failed":true,"reprocess_failed_times":3,"email_if_fail":true,"agent":null,"policy":1}`
