package corpus

// All returns every case, in a fixed order.
func All() []Case {
	var out []Case
	out = append(out, statistical()...)
	out = append(out, lookups()...)
	out = append(out, oneRow()...)
	out = append(out, titled()...)
	out = append(out, remittances()...)
	out = append(out, variants()...)
	out = append(out, xlsCases()...)
	out = append(out, noTables()...)
	return out
}

// populationSheet is a published statistical table: a numbered title and
// a unit note above, a header of years, a spacer row, regions as category
// rows with indented divisions, value markers, a blank row between
// sections, and footnotes and a source line below.
func populationSheet(name string, years []any) Sheet {
	b := newSheet(name)
	b.line("Table 12. Resident Population by Region and Division: 1990 to 2020")
	b.line("[In thousands (248,710 represents 248,710,000). As of April 1. See headnote]")
	b.blank(1)
	b.header(append([]any{"Region and division"}, years...)...)
	b.blank(1)
	b.data("United States", 248710, 281422, 308746, 331449)
	b.blank(1)
	b.data("Northeast", 50809, 53594, 55317, 57609)
	b.data(indent("New England", 2), 13207, 13923, 14445, 15116)
	b.data(indent("Middle Atlantic", 2), 37602, 39672, 40872, 42493)
	b.blank(1)
	b.data("Midwest 1/", 59669, 64393, 66927, 68985)
	b.data(indent("East North Central", 2), 42009, 45155, 46422, 47368)
	b.data(indent("West North Central", 2), 17660, 19238, 20505, 21617)
	b.blank(1)
	b.data("South")
	b.data(indent("South Atlantic", 2), 43567, 51769, 59777, 66091)
	b.data(indent("East South Central", 2), 15176, 17022, 18432, 19402)
	b.data(indent("West South Central", 2), 26703, 31445, 36346, 41418)
	b.blank(1)
	b.data("West", 52786, 63198, 71946, 78588)
	b.data(indent("Mountain", 2), 13659, 18172, 22065, 24920)
	b.data(indent("Pacific", 2), 39127, 45026, 49880, 53668)
	b.data(indent("Outlying areas", 2), "(NA)", "(NA)", "(X)", "-")
	b.end()
	b.blank(1)
	b.line("1/ Includes the area formerly designated as the North Central region.")
	b.line("(NA) Not available. (X) Not applicable. - Represents zero.")
	b.line("Source: U.S. Census Bureau, Decennial Census of Population, 1990 to 2020.")
	return b.done()
}

// industrySheet has a two-row header (a group row of measures over a row
// of years, a blank row between them), units and footnote markers in the
// labels, NAICS codes, Total and subtotal rows, and withheld values.
func industrySheet(name string) Sheet {
	b := newSheet(name)
	b.line("Table 3. Establishments, Employment, and Payroll by Industry: 2019 and 2020")
	b.blank(1)
	b.header("2002 NAICS code \\1", "Kind of business", "Employees (number)", "", "Annual payroll (million dollars)", "")
	b.blank(1)
	b.header("", "", 2019, 2020, 2019, 2020)
	b.data("", "Total, all industries", 128347, 126842, 7428619, 7564388)
	b.data("11", "Forestry, fishing, and hunting", 166219, 159882, 7745, 7802)
	b.data("21", "Mining, quarrying, and oil and gas extraction", 594025, 503215, 52361, 44012)
	b.data("22", "Utilities", 640347, 637622, 69183, 70911)
	b.data("23", "Construction", 7188941, 7142036, 445217, 458120)
	b.data("31-33", "Manufacturing", 11765643, 11212484, 711385, 693224)
	b.data("311", indent("Food manufacturing", 2), 1552349, 1541210, 73122, 75809)
	b.data("312", indent("Beverage and tobacco product manufacturing", 2), "(D)", "(D)", "(D)", "(D)")
	b.data("", indent("Subtotal, durable goods", 2), 7033295, 6712640, 452180, 440918)
	b.data("42", "Wholesale trade", 6154358, 5929712, 455231, 450100)
	b.data("99", "Industries not classified", "Z", "Z", "Z", "Z")
	b.end()
	b.blank(2)
	b.line("D Withheld to avoid disclosing data for individual companies; data are included in higher level totals.")
	b.line("Z Fewer than 10 employees.")
	b.line("\\1 North American Industry Classification System, 2002.")
	b.line("Source: U.S. Census Bureau, County Business Patterns.")
	return b.done()
}

// fiscalSheet has fiscal-year and quarter headers and a Total row first.
func fiscalSheet(name string) Sheet {
	b := newSheet(name)
	b.line("Federal Outlays by Function (billions of dollars)")
	b.blank(1)
	b.header("Function", "FY2021", "FY2022", "FY2023", "Q1 2024", "Q2 2024")
	b.data("Total outlays", 6822, 6273, 6135, 1665, 1695)
	b.data("National defense", 754, 767, 805, 208, 210)
	b.data("Health", 797, 914, 889, 231, 230)
	b.data("Medicare", 696, 755, 839, 209, 221)
	b.data("Income security", 1576, 1042, 775, 181, 193)
	b.data("Social security", 1135, 1219, 1348, 357, 362)
	b.data("Net interest", 352, 475, 658, 189, 198)
	b.data("All other", 1512, 1101, 821, 290, 281)
	b.end()
	b.blank(1)
	b.line("Note: Detail may not add to totals because of rounding.")
	return b.done()
}

func statistical() []Case {
	years := []any{1990, 2000, 2010, 2020}
	floatYears := []any{"1990.0", "2000.0", "2010.0", "2020.0"}
	return []Case{
		{Name: "population by region (years as numbers)", Family: FamilyStatistical, Filename: "population.xlsx",
			Format: "xlsx", Sheets: []Sheet{populationSheet("Table 12", years)}},
		{Name: "population by region (CSV, years written 2000.0)", Family: FamilyStatistical, Filename: "population.csv",
			Format: "csv", Sheets: []Sheet{populationSheet("population", floatYears)}},
		{Name: "industry with a two-row header", Family: FamilyStatistical, Filename: "industry.xlsx",
			Format: "xlsx", Sheets: []Sheet{industrySheet("Table 3")}},
		{Name: "outlays by fiscal year and quarter", Family: FamilyStatistical, Filename: "outlays.csv",
			Format: "csv", Sheets: []Sheet{fiscalSheet("outlays")}},
	}
}

func stateLookup(name string) Sheet {
	b := newSheet(name)
	b.header("State", "Postal abbreviation", "Capital")
	for _, r := range [][]any{{"Alabama", "AL", "Montgomery"}, {"Alaska", "AK", "Juneau"}, {"Arizona", "AZ", "Phoenix"},
		{"Arkansas", "AR", "Little Rock"}, {"California", "CA", "Sacramento"}, {"Colorado", "CO", "Denver"},
		{"Connecticut", "CT", "Hartford"}, {"Delaware", "DE", "Dover"}} {
		b.data(r...)
	}
	return b.done()
}

func lookups() []Case {
	codes := newSheet("codes")
	codes.header("Code", "Description")
	for _, r := range [][]any{{"A", "Agriculture, forestry and fishing"}, {"B", "Mining and quarrying"},
		{"C", "Manufacturing"}, {"D", "Electricity, gas, steam and air conditioning supply"},
		{"E", "Water supply; sewerage, waste management"}, {"F", "Construction"},
		{"G", "Wholesale and retail trade"}, {"H", "Transportation and storage"}} {
		codes.data(r...)
	}
	status := newSheet("Status codes")
	status.header("Status", "Meaning")
	for _, r := range [][]any{{"ACT", "Active member in good standing"}, {"INA", "Inactive, dues not paid"},
		{"RET", "Retired"}, {"SUS", "Suspended pending review"}, {"TRN", "Transferred to another local"}} {
		status.data(r...)
	}
	names := newSheet("names")
	names.header("First name", "Last name")
	for _, r := range [][]any{{"Avery", "Smith"}, {"Jordan", "Taylor"}, {"Noah", "O'Connor"}, {"Aria", "St-Pierre"},
		{"Liam", "Nguyen"}, {"Mia", "Johnson"}} {
		names.data(r...)
	}
	return []Case{
		{Name: "industry code lookup", Family: FamilyLookup, Filename: "codes.csv", Format: "csv", Sheets: []Sheet{codes.done()}},
		{Name: "state lookup", Family: FamilyLookup, Filename: "states.xlsx", Format: "xlsx", Sheets: []Sheet{stateLookup("States")}},
		{Name: "status code lookup", Family: FamilyLookup, Filename: "status.xlsx", Format: "xlsx", Sheets: []Sheet{status.done()}},
		{Name: "list of names", Family: FamilyLookup, Filename: "names.csv", Format: "csv", Sheets: []Sheet{names.done()}},
	}
}

func oneRow() []Case {
	summary := newSheet("summary")
	summary.header("Report date", "Members", "Hours worked", "Gross wages")
	summary.data("2024-01-31", 112, 4420, "$178,230.50")
	totals := newSheet("Totals")
	totals.line("Remittance summary")
	totals.blank(1)
	totals.header("Employer", "Period", "Members reported", "Dues remitted")
	totals.data("Northwind Builders", "January 2024", 48, 3120.75)
	totals.end()
	totals.blank(1)
	totals.line("Prepared by: payroll office")
	text := newSheet("contact")
	text.header("Name", "Role", "Email")
	text.data("Avery Smith", "Payroll administrator", "avery.smith@example.org")
	return []Case{
		{Name: "one-row summary", Family: FamilyOneRow, Filename: "summary.csv", Format: "csv", Sheets: []Sheet{summary.done()}},
		{Name: "one-row remittance total under a title", Family: FamilyOneRow, Filename: "totals.xlsx", Format: "xlsx", Sheets: []Sheet{totals.done()}},
		{Name: "one-row contact", Family: FamilyOneRow, Filename: "contact.csv", Format: "csv", Sheets: []Sheet{text.done()}},
	}
}

func roster(b *sheet, n int) *sheet {
	first := []string{"Avery", "Jordan", "Taylor", "Casey", "Morgan", "Riley", "Jamie", "Quinn", "Noah", "Liam"}
	last := []string{"Smith", "Taylor", "Jackson", "Martin", "Martinez", "Rodriguez", "Walker", "McNeil", "O'Connor", "Nguyen"}
	for i := range n {
		f, l := first[i%len(first)], last[(i*3)%len(last)]
		b.data(f, l, f[:1]+l+"@example.org", 30+i%12, 1000+37*i)
	}
	return b
}

func titled() []Case {
	direct := newSheet("Members")
	direct.line("Member roster as of 2024-01-31")
	direct.header("First Name", "Last Name", "Email", "Hours", "Member ID")
	roster(direct, 12)
	csvTitle := newSheet("roster")
	csvTitle.line("Active members")
	csvTitle.header("First Name", "Last Name", "Email", "Hours", "Member ID")
	roster(csvTitle, 6)
	stats := newSheet("Table 1")
	stats.line("Table 1. Members by local: 2022 to 2024")
	stats.header("Local", 2022, 2023, 2024)
	for _, r := range [][]any{{"Local 101", 412, 430, 455}, {"Local 212", 388, 391, 402}, {"Local 303", 120, 118, 131},
		{"Local 414", 97, 105, 99}, {"Total", 1017, 1044, 1087}} {
		stats.data(r...)
	}
	stats.end()
	stats.line("Source: membership ledger.")
	blankAround := newSheet("crews")
	blankAround.blank(2)
	blankAround.line("Hours by crew")
	blankAround.blank(1)
	blankAround.header("First Name", "Last Name", "Email", "Hours", "Member ID")
	blankAround.blank(2)
	roster(blankAround, 5)
	blankAround.end()
	blankAround.blank(3)
	return []Case{
		{Name: "title directly above the header", Family: FamilyTitled, Filename: "members.xlsx", Format: "xlsx", Sheets: []Sheet{direct.done()}},
		{Name: "CSV title directly above the header", Family: FamilyTitled, Filename: "roster.csv", Format: "csv", Sheets: []Sheet{csvTitle.done()}},
		{Name: "statistical title directly above a year header", Family: FamilyTitled, Filename: "locals.xlsx", Format: "xlsx", Sheets: []Sheet{stats.done()}},
		{Name: "blank rows at every boundary", Family: FamilyTitled, Filename: "crews.csv", Format: "csv", Sheets: []Sheet{blankAround.done()}},
	}
}

func remittanceSheet(name string) Sheet {
	b := newSheet(name)
	b.line("Employer:", "Northwind Builders Ltd.")
	b.line("Remittance period:", "January 2024")
	b.line("Local:", "212")
	b.blank(1)
	b.header("Member ID", "Last Name", "First Name", "Hours", "Gross Wages", "Dues")
	members := [][]any{{"M-1001", "Smith", "Avery", 160, 5120.00, 76.80}, {"M-1002", "Taylor", "Jordan", 152, 4864.00, 72.96},
		{"M-1003", "Jackson", "Taylor", 168, 5376.00, 80.64}, {"M-1004", "Martin", "Casey", 80, 2560.00, 38.40},
		{"M-1005", "Martinez", "Morgan", 160, 5120.00, 76.80}, {"M-1006", "Rodriguez", "Riley", 0, 0, 0},
		{"M-1007", "Walker", "Jamie", 144, 4608.00, 69.12}}
	for _, m := range members {
		b.data(m...)
	}
	b.data("Total", "", "", 864, 27648.00, 414.72)
	b.end()
	b.blank(1)
	b.line("I certify that this remittance is complete and correct.")
	b.line("Signature: ______________", "", "", "Date: __________")
	return b.done()
}

func remittances() []Case {
	two := newSheet("Remittance")
	two.line("Dues remittance - Site A and Site B")
	two.blank(1)
	two.line("Site A")
	two.header("Member ID", "Name", "Hours", "Dues")
	for i := range 5 {
		two.data("A-"+itoa(100+i), "Member "+itoa(i+1), 150+i, 72.00+float64(i))
	}
	two.data("Subtotal", "", 760, 370.00)
	two.end()
	two.blank(2)
	two.line("Site B")
	two.header("Member ID", "Name", "Hours", "Dues")
	for i := range 4 {
		two.data("B-"+itoa(200+i), "Member "+itoa(i+10), 140+i, 67.20+float64(i))
	}
	two.data("Subtotal", "", 566, 274.80)
	two.end()
	two.blank(1)
	two.line("Grand total dues:", "", "", 644.80)
	return []Case{
		{Name: "employer remittance export", Family: FamilyRemittance, Filename: "remittance.xlsx", Format: "xlsx", Sheets: []Sheet{remittanceSheet("Remittance")}},
		{Name: "employer remittance as CSV", Family: FamilyRemittance, Filename: "remittance.csv", Format: "csv", Sheets: []Sheet{remittanceSheet("remittance")}},
		{Name: "two sites with subtotals", Family: FamilyRemittance, Filename: "sites.xlsx", Format: "xlsx", Sheets: []Sheet{two.done()}},
	}
}

func accented(name string) Sheet {
	b := newSheet(name)
	b.header("Prénom", "Nom", "Ville", "Montant")
	for _, r := range [][]any{{"Jürgen", "Müller", "Zürich", "1 234,50"}, {"Zoë", "Lefèvre", "Montréal", "98,00"},
		{"François", "Côté", "Québec", "1 020,75"}, {"Ñuria", "Peña", "Málaga", "12,30"}, {"Søren", "Ærø", "Århus", "7,00"}} {
		b.data(r...)
	}
	return b.done()
}

func variants() []Case {
	mk := func(name string) Sheet {
		b := newSheet(name)
		b.header("First Name", "Last Name", "Email", "Hours", "Member ID")
		return roster(b, 8).done()
	}
	semi := newSheet("semicolon")
	semi.header("Name", "Amount", "Rate")
	for _, r := range [][]any{{"Avery Smith", "1.234,50", "12,5"}, {"Jordan Taylor", "987,00", "10,0"},
		{"Noah O'Connor", "15,75", "7,25"}, {"Mia Johnson", "2.000,00", "12,5"}} {
		semi.data(r...)
	}
	return []Case{
		{Name: "semicolon with decimal commas", Family: FamilyVariants, Filename: "semicolon.csv", Format: "csv", Delimiter: ';', Sheets: []Sheet{semi.done()}},
		{Name: "tab-separated .tsv", Family: FamilyVariants, Filename: "roster.tsv", Format: "csv", Delimiter: '\t', Sheets: []Sheet{mk("roster")}},
		{Name: "pipe-separated", Family: FamilyVariants, Filename: "pipes.txt", Format: "csv", Delimiter: '|', Sheets: []Sheet{mk("pipes")}},
		{Name: "UTF-8 with BOM", Family: FamilyVariants, Filename: "bom.csv", Format: "csv", Encoding: "utf-8-bom", Sheets: []Sheet{accented("bom")}},
		{Name: "UTF-16 LE with BOM, tab-separated", Family: FamilyVariants, Filename: "utf16.csv", Format: "csv", Encoding: "utf-16le", Delimiter: '\t', Sheets: []Sheet{accented("utf16")}},
		{Name: "UTF-16 BE with BOM", Family: FamilyVariants, Filename: "utf16be.csv", Format: "csv", Encoding: "utf-16be", Sheets: []Sheet{accented("utf16be")}},
		{Name: "Windows-1252 (Latin-1) semicolon", Family: FamilyVariants, Filename: "latin1.csv", Format: "csv", Encoding: "windows-1252", Delimiter: ';', Sheets: []Sheet{accented("latin1")}},
	}
}

// XLSSources are the cases whose legacy .xls files testdata/make_xls.py
// writes: the same rows, read back from BIFF8.
func XLSSources() []Case {
	return []Case{
		{Name: "population by region (.xls)", Family: FamilyXLS, Filename: "population.xls", Format: "xls", Sheets: []Sheet{populationSheet("Table 12", []any{1990, 2000, 2010, 2020})}},
		{Name: "industry with a two-row header (.xls)", Family: FamilyXLS, Filename: "industry.xls", Format: "xls", Sheets: []Sheet{industrySheet("Table 3")}},
		{Name: "state lookup and remittance (.xls, two sheets)", Family: FamilyXLS, Filename: "workbook.xls", Format: "xls",
			Sheets: []Sheet{stateLookup("States"), remittanceSheet("Remittance")}},
	}
}

func xlsCases() []Case { return XLSSources() }

func noTables() []Case {
	headerOnly := newSheet("template")
	headerOnly.header("First Name", "Last Name", "Email", "Hours").headerOnly()
	prose := newSheet("Instructions")
	prose.line("How to fill in this workbook")
	prose.blank(1)
	prose.line("1. Enter one member per row on the Data sheet.")
	prose.line("2. Do not rename the headers.")
	prose.line("Questions: ops@example.org")
	kv := newSheet("About")
	kv.line("Prepared by:", "Operations")
	kv.line("Period:", "January 2024")
	kv.line("Status:", "Final")
	return []Case{
		{Name: "header-only template", Family: FamilyNoTable, Filename: "template.csv", Format: "csv", Sheets: []Sheet{headerOnly.done()}},
		{Name: "instructions and key/value notes", Family: FamilyNoTable, Filename: "notes.xlsx", Format: "xlsx", Sheets: []Sheet{prose.done(), kv.done()}},
	}
}

func itoa(n int) string { return text(n) }
