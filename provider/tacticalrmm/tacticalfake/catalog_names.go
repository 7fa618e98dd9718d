package tacticalfake

// Word lists for generated names. They are read-only tables.

var clientFirstWords = []string{
	"Acme", "Brightline", "Harbor View", "Summit", "Northwind", "Bluewater", "Cedar Ridge",
	"Evergreen", "Granite", "Ironwood", "Juniper", "Keystone", "Lakeside", "Maple Leaf",
	"Oakmont", "Pinecrest", "Quarry", "Redwood", "Silverline", "Tidewater", "Union Square",
	"Valley", "Westbrook", "Yellowstone", "Zenith", "Atlas", "Beacon", "Coastal", "Delta",
	"Elm Street", "Falcon", "Golden Gate", "Highland", "Horizon", "Liberty", "Meridian",
}

var clientSecondWords = []string{
	"Dental", "Logistics", "Legal", "Accounting", "Family Medicine", "Construction", "Realty",
	"Veterinary Clinic", "Insurance", "Engineering", "Manufacturing", "Credit Union",
	"Architects", "Pharmacy", "Auto Group", "Hospitality", "Schools", "Foods", "Partners",
	"Orthodontics", "Physical Therapy", "Title Co.", "Wealth Management", "Labs",
}

var siteNames = []string{
	"Main Office", "Westside Clinic", "Warehouse DC", "Downtown", "North Branch", "South Branch",
	"East Campus", "Remote Workers", "Datacenter", "Plant 2", "Retail Store", "Head Office",
	"Annex", "Lab", "Distribution Center", "Airport Office",
}

var userNames = []string{
	"jmorales", "akhan", "bwilliams", "cnguyen", "dpatel", "ebrown", "fgarcia", "gsmith",
	"hlee", "ijohnson", "kmartin", "lrossi", "mchen", "nokafor", "olsen", "pdubois",
	"qwang", "rsilva", "skowalski", "tanaka", "uahmed", "vpetrov", "wmueller", "yli",
}

var firstNames = []string{
	"Jamie", "Alex", "Morgan", "Taylor", "Jordan", "Casey", "Riley", "Avery", "Quinn", "Drew",
}

var auditUsers = []string{"jdoe", "mkhan", "tech1"}

var linuxRoles = []string{"web", "db", "app", "nas", "proxy", "mail", "dns", "backup", "k8s", "git"}

var winServerRoles = []string{"DC", "FS", "SQL", "APP", "RDS", "HV", "PRINT", "VEEAM"}

var descriptions = []string{
	"Front desk PC", "Reception", "Accounting laptop", "Conference room", "Shared workstation",
	"nginx reverse proxy", "Primary domain controller", "File server", "Line of business app",
	"Loaner laptop", "X-ray imaging PC", "Dispatch console",
}
