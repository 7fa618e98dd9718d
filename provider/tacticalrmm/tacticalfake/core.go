package tacticalfake

import "net/http"

func (s *Server) handleHome(c *call) { c.json(http.StatusOK, []byte(`{"status":"ok"}`)) }

// handleVersion returns APP_VER only, which v1.5.0 and v1.5.1 share.
func (s *Server) handleVersion(c *call) {
	c.jsonString(http.StatusOK, AppVersion(s.Version()))
}

// handleDashInfo is core/views.py dashboard_info; trmm_version tells
// releases apart.
func (s *Server) handleDashInfo(c *call) {
	var w jw
	w.open()
	w.key("trmm_version")
	w.str(s.Version())
	w.key("latest_trmm_ver")
	w.str(s.Version())
	w.key("dark_mode")
	w.bool(true)
	w.key("show_community_scripts")
	w.bool(true)
	w.key("dbl_click_action")
	w.str("editagent")
	w.key("default_agent_tbl_tab")
	w.str("mixed")
	w.key("url_action")
	w.null()
	w.key("client_tree_sort")
	w.str("alphafail")
	w.key("client_tree_splitter")
	w.int(11)
	w.key("loading_bar_color")
	w.str("red")
	w.key("clear_search_when_switching")
	w.bool(true)
	w.key("hosted")
	w.bool(false)
	w.key("date_format")
	w.str("MMM-DD-YYYY - HH:mm")
	w.key("default_date_format")
	w.str("MMM-DD-YYYY - HH:mm")
	w.key("token_is_expired")
	w.bool(false)
	w.key("dash_info_color")
	w.str("info")
	w.key("dash_positive_color")
	w.str("positive")
	w.key("dash_negative_color")
	w.str("negative")
	w.key("dash_warning_color")
	w.str("warning")
	w.key("run_cmd_placeholder_text")
	w.str("")
	w.key("server_scripts_enabled")
	w.bool(true)
	w.key("web_terminal_enabled")
	w.bool(true)
	w.key("block_local_user_logon")
	w.bool(false)
	w.key("sso_enabled")
	w.bool(false)
	w.close()
	c.json(http.StatusOK, w.b)
}
