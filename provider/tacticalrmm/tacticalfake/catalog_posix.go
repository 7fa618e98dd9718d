package tacticalfake

// Read-only tables of Linux and macOS data.

type posixHW struct {
	os, goarch, cpu, makeModel, disk string
	gpus                             []string
	diskBytes                        int64
	devices                          []posixDisk
	serial                           func(r *rng) string
	ramGB                            []int
}

type posixDisk struct {
	device, fstype string
	share          float64 // of diskBytes
}

// Profiles 0-1 are Linux (fleet.core picks one), 2 is macOS.
var posixHardware = []posixHW{
	{os: "Ubuntu 24.04 x86_64 6.8.0-60-generic", goarch: "amd64", cpu: "AMD EPYC 7763 64-Core Processor",
		makeModel: "QEMU Standard PC (Q35 + ICH9, 2009)", disk: "Virtio Block Device vda 80.0 GB", diskBytes: 85899345920,
		devices: []posixDisk{{"/dev/vda1", "ext4", 0.977}, {"/dev/vda16", "ext4", 0.0125}},
		serial:  func(*rng) string { return "n/a" }, ramGB: []int{2, 4, 8}},
	{os: "Debian 12.11 x86_64 6.1.0-37-amd64", goarch: "amd64", cpu: "Intel(R) Xeon(R) Silver 4214R CPU @ 2.40GHz",
		makeModel: "Dell Inc. PowerEdge R640", disk: "PERC H730P Mini sda 1.8 TB", diskBytes: 1999844147200,
		gpus:    []string{"Matrox Electronics Systems Ltd. Integrated Matrox G200eW3 Graphics Controller"},
		devices: []posixDisk{{"/dev/sda2", "ext4", 0.96}, {"/dev/sda1", "vfat", 0.0005}},
		serial:  dellTag, ramGB: []int{64, 128}},
	{os: "darwin 15.5 arm64 24.5.0", goarch: "arm64", cpu: "Apple M2 Pro",
		makeModel: "Apple Inc. Mac14,9", disk: "APPLE SSD AP0512Z disk0 500.3 GB", diskBytes: 500277792768,
		gpus:    []string{"Apple M2 Pro"},
		devices: []posixDisk{{"/dev/disk3s1s1", "apfs", 0.98}},
		serial:  func(r *rng) string { return "C02" + randChars(r, "0123456789ABCDEFGHJKLMNPQRSTVWXYZ", 7) }, ramGB: []int{16, 32}},
}
