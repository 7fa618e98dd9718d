package rmmgrpc

import (
	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// frameCodec describes the frames of one streaming RPC, so that one
// generic sender and one generic receiver serve all four: T is the Go
// record, P its proto message, F the stream frame.
type frameCodec[T, P, F any] struct {
	toProto   func(T) P
	fromProto func(P) T
	batch     func(items []P, total int64, cursor []byte) *F
	summary   func(*rmmv1.SyncSummary) *F
	parts     func(*F) frameParts[P]
}

// frameParts is a received frame taken apart: a batch, a summary, or
// neither (a frame from a newer plugin this host does not know).
type frameParts[P any] struct {
	batch   bool
	items   []P
	total   int64
	cursor  []byte
	summary *rmmv1.SyncSummary
}

func orgFrames() frameCodec[rmm.Org, *rmmv1.Org, rmmv1.OrgFrame] {
	return frameCodec[rmm.Org, *rmmv1.Org, rmmv1.OrgFrame]{
		toProto: orgToProto, fromProto: orgFromProto,
		batch: func(items []*rmmv1.Org, total int64, cursor []byte) *rmmv1.OrgFrame {
			return &rmmv1.OrgFrame{Frame: &rmmv1.OrgFrame_Batch{Batch: &rmmv1.OrgBatch{Items: items, Total: total, Cursor: cursor}}}
		},
		summary: func(s *rmmv1.SyncSummary) *rmmv1.OrgFrame {
			return &rmmv1.OrgFrame{Frame: &rmmv1.OrgFrame_Summary{Summary: s}}
		},
		parts: func(f *rmmv1.OrgFrame) frameParts[*rmmv1.Org] {
			b := f.GetBatch()
			return frameParts[*rmmv1.Org]{b != nil, b.GetItems(), b.GetTotal(), b.GetCursor(), f.GetSummary()}
		},
	}
}

func deviceFrames() frameCodec[rmm.Device, *rmmv1.Device, rmmv1.DeviceFrame] {
	return frameCodec[rmm.Device, *rmmv1.Device, rmmv1.DeviceFrame]{
		toProto: deviceToProto, fromProto: deviceFromProto,
		batch: func(items []*rmmv1.Device, total int64, cursor []byte) *rmmv1.DeviceFrame {
			return &rmmv1.DeviceFrame{Frame: &rmmv1.DeviceFrame_Batch{Batch: &rmmv1.DeviceBatch{Items: items, Total: total, Cursor: cursor}}}
		},
		summary: func(s *rmmv1.SyncSummary) *rmmv1.DeviceFrame {
			return &rmmv1.DeviceFrame{Frame: &rmmv1.DeviceFrame_Summary{Summary: s}}
		},
		parts: func(f *rmmv1.DeviceFrame) frameParts[*rmmv1.Device] {
			b := f.GetBatch()
			return frameParts[*rmmv1.Device]{b != nil, b.GetItems(), b.GetTotal(), b.GetCursor(), f.GetSummary()}
		},
	}
}

func alertFrames() frameCodec[rmm.Alert, *rmmv1.Alert, rmmv1.AlertFrame] {
	return frameCodec[rmm.Alert, *rmmv1.Alert, rmmv1.AlertFrame]{
		toProto: alertToProto, fromProto: alertFromProto,
		batch: func(items []*rmmv1.Alert, total int64, cursor []byte) *rmmv1.AlertFrame {
			return &rmmv1.AlertFrame{Frame: &rmmv1.AlertFrame_Batch{Batch: &rmmv1.AlertBatch{Items: items, Total: total, Cursor: cursor}}}
		},
		summary: func(s *rmmv1.SyncSummary) *rmmv1.AlertFrame {
			return &rmmv1.AlertFrame{Frame: &rmmv1.AlertFrame_Summary{Summary: s}}
		},
		parts: func(f *rmmv1.AlertFrame) frameParts[*rmmv1.Alert] {
			b := f.GetBatch()
			return frameParts[*rmmv1.Alert]{b != nil, b.GetItems(), b.GetTotal(), b.GetCursor(), f.GetSummary()}
		},
	}
}

func softwareFrames() frameCodec[rmm.SoftwareBatch, *rmmv1.SoftwareBatch, rmmv1.SoftwareFrame] {
	return frameCodec[rmm.SoftwareBatch, *rmmv1.SoftwareBatch, rmmv1.SoftwareFrame]{
		toProto: softwareBatchToProto, fromProto: softwareBatchFromProto,
		batch: func(items []*rmmv1.SoftwareBatch, total int64, cursor []byte) *rmmv1.SoftwareFrame {
			return &rmmv1.SoftwareFrame{Frame: &rmmv1.SoftwareFrame_Batch{Batch: &rmmv1.SoftwareBatchList{Items: items, Total: total, Cursor: cursor}}}
		},
		summary: func(s *rmmv1.SyncSummary) *rmmv1.SoftwareFrame {
			return &rmmv1.SoftwareFrame{Frame: &rmmv1.SoftwareFrame_Summary{Summary: s}}
		},
		parts: func(f *rmmv1.SoftwareFrame) frameParts[*rmmv1.SoftwareBatch] {
			b := f.GetBatch()
			return frameParts[*rmmv1.SoftwareBatch]{b != nil, b.GetItems(), b.GetTotal(), b.GetCursor(), f.GetSummary()}
		},
	}
}
