package api

import "github.com/go-json-experiment/json/jsontext"

// WMIDetail is the part of an agent's wmi_detail the provider reads, in
// either shape (API.md §4.4): Windows agents send WMI classes, each a
// list of single-element lists holding one property dict; POSIX agents
// send flat keys. It decodes in the agent's single pass, skipping the
// classes it does not name (disks, memory, graphics, USB: most of its
// size) unread, and it never fails on an unexpected shape: what cannot be
// read stays blank, as hardware details are not worth losing the agent.
type WMIDetail struct {
	BIOS, CompSys, CompSysProd, CPU, NetworkConfig []WMIObject

	POSIX                   bool // the POSIX shape ("cpus" is present)
	CPUs, LocalIPs          []string
	MakeModel, SerialNumber string
}

// WMIObject holds the properties read from one WMI object. Numbers keep
// their JSON text, so that a numeric serial is not rounded.
type WMIObject struct {
	SerialNumber, IdentifyingNumber, Vendor, Name, Manufacturer, Model string
	NumberOfCores, NumberOfLogicalProcessors                           string
	IPAddress                                                          []string
}

// UnmarshalJSONFrom implements encoding/json/v2's UnmarshalerFrom.
func (w *WMIDetail) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return readMembers(dec, func(name string) error {
		var err error
		switch name {
		case "bios":
			w.BIOS, err = readObjects(dec, w.BIOS)
		case "comp_sys":
			w.CompSys, err = readObjects(dec, w.CompSys)
		case "comp_sys_prod":
			w.CompSysProd, err = readObjects(dec, w.CompSysProd)
		case "cpu":
			w.CPU, err = readObjects(dec, w.CPU)
		case "network_config":
			w.NetworkConfig, err = readObjects(dec, w.NetworkConfig)
		case "cpus":
			w.POSIX = true
			w.CPUs, err = readStrings(dec)
		case "local_ips":
			w.LocalIPs, err = readStrings(dec)
		case "make_model":
			w.MakeModel, err = readScalar(dec)
		case "serialnumber":
			w.SerialNumber, err = readScalar(dec)
		default:
			err = skip(dec)
		}
		return err
	})
}

// readObjects appends the objects of a WMI class, whatever the list
// nesting; other values are skipped.
func readObjects(dec *jsontext.Decoder, out []WMIObject) ([]WMIObject, error) {
	switch dec.PeekKind() {
	case '{':
		var o WMIObject
		if err := o.read(dec); err != nil {
			return out, err
		}
		return append(out, o), nil
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return out, err
		}
		for dec.PeekKind() != ']' {
			var err error
			if out, err = readObjects(dec, out); err != nil {
				return out, err
			}
		}
		_, err := dec.ReadToken()
		return out, err
	}
	return out, skip(dec)
}

func (o *WMIObject) read(dec *jsontext.Decoder) error {
	return readMembers(dec, func(name string) error {
		var err error
		switch name {
		case "SerialNumber":
			o.SerialNumber, err = readScalar(dec)
		case "IdentifyingNumber":
			o.IdentifyingNumber, err = readScalar(dec)
		case "Vendor":
			o.Vendor, err = readScalar(dec)
		case "Name":
			o.Name, err = readScalar(dec)
		case "Manufacturer":
			o.Manufacturer, err = readScalar(dec)
		case "Model":
			o.Model, err = readScalar(dec)
		case "NumberOfCores":
			o.NumberOfCores, err = readScalar(dec)
		case "NumberOfLogicalProcessors":
			o.NumberOfLogicalProcessors, err = readScalar(dec)
		case "IPAddress":
			o.IPAddress, err = readStrings(dec)
		default:
			err = skip(dec)
		}
		return err
	})
}

// readMembers calls member for each name of an object, which must read
// that member's value; a value that is not an object is skipped.
func readMembers(dec *jsontext.Decoder, member func(name string) error) error {
	if dec.PeekKind() != '{' {
		return skip(dec)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := member(name.String()); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// readScalar reads a string, or a number as its JSON text; any other
// value is skipped and reads as "".
func readScalar(dec *jsontext.Decoder) (string, error) {
	switch dec.PeekKind() {
	case '"', '0':
		tok, err := dec.ReadToken()
		return tok.String(), err
	}
	return "", skip(dec)
}

// readStrings reads the strings of a list; other elements and values that
// are not lists are skipped.
func readStrings(dec *jsontext.Decoder) ([]string, error) {
	if dec.PeekKind() != '[' {
		return nil, skip(dec)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	var out []string
	for dec.PeekKind() != ']' {
		if dec.PeekKind() == '"' {
			tok, err := dec.ReadToken()
			if err != nil {
				return out, err
			}
			out = append(out, tok.String())
			continue
		}
		if err := skip(dec); err != nil {
			return out, err
		}
	}
	_, err := dec.ReadToken()
	return out, err
}

// skip moves past the next value. jsontext's SkipValue walks objects and
// lists token by token; ReadValue scans them in one tight loop, several
// times faster, at the cost of holding the value in the decoder's buffer,
// which for one agent's member is a few kilobytes.
func skip(dec *jsontext.Decoder) error {
	_, err := dec.ReadValue()
	return err
}

// Skipped is a member decoded by skipping it, for the large members of a
// record that are not read (an agent's services): encoding/json/v2 skips
// unnamed members with SkipValue, the slow way.
type Skipped struct{}

// UnmarshalJSONFrom implements encoding/json/v2's UnmarshalerFrom.
func (*Skipped) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return skip(dec) }
