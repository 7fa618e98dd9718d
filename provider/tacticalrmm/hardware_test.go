package tacticalrmm

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
)

func TestHardwareShapes(t *testing.T) {
	tests := []struct {
		name string
		wmi  string
		want hardware
	}{
		{"Windows list of single-element lists, two sockets", `{
			"cpu": [[{"Name": " Xeon Gold ", "NumberOfCores": 8, "NumberOfLogicalProcessors": 16}], [{"Name": "Xeon Gold", "NumberOfCores": "8", "NumberOfLogicalProcessors": "16"}]],
			"bios": [[{"SerialNumber": "To Be Filled By O.E.M."}]],
			"comp_sys_prod": [[{"IdentifyingNumber": "SN-42", "Vendor": "Supermicro", "Name": "SYS-1029"}]],
			"comp_sys": [[{"Manufacturer": "None"}]],
			"network_config": [[{"IPAddress": ["192.168.1.10", "fe80::1", "127.0.0.1"]}], [{"IPAddress": null}], [{"IPAddress": ["10.0.0.2", "192.168.1.10", "2001:db8::5"]}]]
		}`, hardware{serial: "SN-42", manufacturer: "Supermicro", model: "SYS-1029", cpuModel: "Xeon Gold", cpuCores: 16, cpuThreads: 32,
			lanIPs: []string{"192.168.1.10", "10.0.0.2", "2001:db8::5"}}},
		{"flat lists of dicts", `{"cpu": [{"Name": "i7", "NumberOfCores": 4, "NumberOfLogicalProcessors": 8}], "bios": [{"SerialNumber": "ABC"}]}`,
			hardware{serial: "ABC", cpuModel: "i7", cpuCores: 4, cpuThreads: 8}},
		{"POSIX keys", `{"cpus": ["Apple M2"], "local_ips": ["192.168.0.4/24", "::1/128"], "make_model": "Apple MacBookAir10,1", "serialnumber": "C02XYZ"}`,
			hardware{serial: "C02XYZ", model: "Apple MacBookAir10,1", cpuModel: "Apple M2", lanIPs: []string{"192.168.0.4"}}},
		{"numbers kept exact", `{"bios": [[{"SerialNumber": 12345678901234567890}]], "cpu": [[{"Name": 7, "NumberOfCores": 4.0}]]}`,
			hardware{serial: "12345678901234567890", cpuModel: "7", cpuCores: 4}},
		{"odd shapes", `{"bios": "n/a", "cpu": [[{"Name": {"x": 1}, "NumberOfCores": [1]}], 5, null], "network_config": [[{"IPAddress": "10.0.0.1"}], [{"IPAddress": [1, "10.0.0.9", null]}]], "comp_sys": {"Model": "M1"}}`,
			hardware{model: "M1", lanIPs: []string{"10.0.0.9"}}},
		{"POSIX with odd shapes", `{"cpus": "x", "local_ips": ["10.1.1.1/8", 4], "make_model": 17, "serialnumber": null}`,
			hardware{model: "17", lanIPs: []string{"10.1.1.1"}}},
		{"null", `null`, hardware{}},
		{"not an object", `"error"`, hardware{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a api.Agent
			if err := api.Unmarshal([]byte(`{"agent_id":"x","wmi_detail":`+tt.wmi+`}`), &a); err != nil {
				t.Fatalf("an odd wmi_detail must not make the agent undecodable: %v", err)
			}
			if got := readHardware(a.WMIDetail); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestOSVersion(t *testing.T) {
	tests := []struct{ plat, os, want string }{
		{"windows", "Microsoft Windows 11 Pro, 64 bit v24H2 (build 26100.4349)", "26100.4349"},
		{"windows", "Microsoft Windows 10 Pro, 64 bit", ""},
		{"linux", "Ubuntu 24.04 x86_64 6.8.0-60-generic", "24.04"},
		{"darwin", "Darwin 14.5 arm64 23.5.0", "14.5"},
		{"linux", "", ""},
	}
	for _, tt := range tests {
		if got := osVersion(tt.plat, tt.os); got != tt.want {
			t.Errorf("osVersion(%q) = %q, want %q", tt.os, got, tt.want)
		}
	}
}

func TestWithoutKeysKeepsOrderAndCompacts(t *testing.T) {
	got, err := withoutKeys(json.RawMessage(`{ "b": 1, "services": [ {"x": 1} ], "a": { "c" : [1, 2] }, "s": "x<y" }`), "services")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"b":1,"a":{"c":[1,2]},"s":"x<y"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for _, bad := range []string{`[1]`, `{"a": "unterminated}`, `{"a": [1, 2}`, `{"a"}`, ``} {
		if _, err := withoutKeys(json.RawMessage(bad)); err == nil {
			t.Errorf("withoutKeys(%s) accepted it", bad)
		}
	}
}

func TestWithoutKeysAgreesWithEncodingJSON(t *testing.T) {
	inputs := []string{
		`{"a":"x\"y}","services":{"q":["}",{"r":"\\"}]},"n":-1.5e3,"t":true,"z":null,"e":{},"l":[]}`,
		`{"k\u0073":1,"services":2}`,
		string(fixture(t, "agent_detail.json")),
		string(fixture(t, "beta_agent_detail.json")),
	}
	for _, in := range inputs {
		got, err := withoutKeys(json.RawMessage(in), "services", "all_timezones")
		if err != nil {
			t.Fatalf("withoutKeys: %v", err)
		}
		var want, have map[string]any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		delete(want, "services")
		delete(want, "all_timezones")
		if err := json.Unmarshal(got, &have); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, got)
		}
		if !reflect.DeepEqual(want, have) {
			t.Errorf("withoutKeys changed the content:\n in %.200s\nout %.200s", in, got)
		}
	}
}
