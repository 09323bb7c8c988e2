package sftpd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckFile(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		wantRows int
		want     []Problem // Message is checked to contain want's Message
	}{
		{"good file", csvFile("Invoice Number*,Total", "INV-1,10.00", "INV-2,20.00"), 2, nil},
		{"header only", csvFile("Account Code*,Name"), 0, nil},
		{"LF line ends", []byte("a,b\n1,2\n3,4\n"), 2, nil},
		{"no final line end", []byte("a,b\r\n1,2"), 1, nil},
		{"quoted comma, quote and newline", csvFile(`Name,Note`, `"Acme, Inc.","He said ""hi""`, `two lines"`, `x,y`), 2, nil},
		{"blank lines are skipped", []byte("a,b\r\n\r\n1,2\r\n\r\n"), 1, nil},
		{"UTF-8 content", csvFile("Name,City", "Zoë,Malmö", "寿司,東京"), 2, nil},
		{"UTF-8 byte order mark", append([]byte{0xEF, 0xBB, 0xBF}, csvFile("a,b", "1,2")...), 1,
			[]Problem{{Code: CodeByteOrderMark, Message: "byte order mark"}}},
		{"UTF-16", []byte{0xFF, 0xFE, 'a', 0, ',', 0}, 0,
			[]Problem{{Code: CodeEncoding, Message: "UTF-16"}}},
		{"invalid UTF-8 (Latin-1)", []byte("Name,City\r\nZo\xeb,Paris\r\n"), 0,
			[]Problem{{Code: CodeEncoding, Message: "line 2, byte 3"}}},
		{"empty", nil, 0, []Problem{{Code: CodeEmpty, Message: "header row is required"}}},
		{"only blank lines", []byte("\r\n\r\n"), 0, []Problem{{Code: CodeEmpty, Message: "empty"}}},
		{"rows with the wrong column count", csvFile("a,b,c", "1,2,3", "1,2", "1,2,3,4", "1,2,3"), 4, []Problem{
			{Row: 2, Line: 3, Code: CodeFieldCount, Message: "row 2 has 2 fields; the header has 3"},
			{Row: 3, Line: 4, Code: CodeFieldCount, Message: "row 3 has 4 fields"},
		}},
		{"row number counts records, line counts lines", csvFile("a,b", `"x`, `y",1`, "2"), 2, []Problem{
			{Row: 2, Line: 4, Code: CodeFieldCount, Message: "row 2 has 1 fields"},
		}},
		{"required value missing", csvFile("Invoice Number*, Supplier* ,Total", "INV-1,Acme,1", " ,Acme,2", "INV-3,,3"), 3, []Problem{
			{Row: 2, Line: 3, Code: CodeRequired, Message: `required column "Invoice Number*" is empty`},
			{Row: 3, Line: 4, Code: CodeRequired, Message: `required column "Supplier*" is empty`},
		}},
		{"bare quote stops reading", csvFile("a,b", `1,x"y`, "2,3"), 1, []Problem{
			{Row: 1, Line: 2, Code: CodeSyntax, Message: "row 1 is not valid CSV"},
		}},
		{"unterminated quote", []byte("a,b\r\n1,\"open\r\n2,3\r\n"), 1, []Problem{
			{Row: 1, Line: 2, Code: CodeSyntax, Message: "parse error on line 3"},
		}},
		{"header column without a name", csvFile("a,,c", "1,2,3"), 1,
			[]Problem{{Code: CodeHeader, Message: "header column 2 has no name"}}},
		{"repeated header column", csvFile("a,b,a", "1,2,3"), 1,
			[]Problem{{Code: CodeHeader, Message: `header column 3 ("a") repeats`}}},
		{"5,000 rows", csvRows(MaxRows, 2, 0), MaxRows, nil},
		{"5,001 rows", csvRows(MaxRows+1, 2, 0), MaxRows + 1,
			[]Problem{{Code: CodeTooManyRows, Message: "5001 data rows; Coupa accepts at most 5000"}}},
		{"larger than 8 MB", csvRows(10, 2, MaxFileBytes/10), 0,
			[]Problem{{Code: CodeTooLarge, Message: "at most 8388608"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, got := checkFile(tt.data)
			if rows != tt.wantRows {
				t.Errorf("rows = %d, want %d", rows, tt.wantRows)
			}
			strip := func(ps []Problem) []Problem {
				out := make([]Problem, len(ps))
				for i, p := range ps {
					out[i] = Problem{Row: p.Row, Line: p.Line, Code: p.Code}
				}
				return out
			}
			if diff := cmp.Diff(strip(tt.want), strip(got)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s\ngot %+v", diff, got)
			}
			for i, p := range got {
				if !strings.Contains(p.Message, tt.want[i].Message) {
					t.Errorf("problem %d message %q does not contain %q", i, p.Message, tt.want[i].Message)
				}
			}
		})
	}
}

func TestCheckFileCapsProblems(t *testing.T) {
	data := csvFile("a,b")
	for range 150 {
		data = append(data, "1\r\n"...)
	}
	rows, header, problems := checkFile(data)
	if rows != 150 {
		t.Errorf("rows = %d, want 150", rows)
	}
	if diff := cmp.Diff([]string{"a", "b"}, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(problems) > MaxProblems {
		t.Fatalf("%d problems, want at most %d", len(problems), MaxProblems)
	}
	last := problems[len(problems)-1]
	listed := len(problems) - 1
	if wantMore := fmt.Sprintf("%d more problems", 150-listed); last.Code != CodeMoreProblems || !strings.Contains(last.Message, wantMore) {
		t.Errorf("last problem = %+v, want %s with %d more", last, CodeMoreProblems, 150-listed)
	}
	for i, p := range problems[:listed] {
		if p.Code != CodeFieldCount || p.Row != i+1 {
			t.Errorf("problem %d = %+v, want field count at row %d", i, p, i+1)
		}
	}
}

func TestArchiveName(t *testing.T) {
	dir := &dirNode{files: map[string]*fileNode{
		"users.csv": {}, "users_20261123T101500Z.csv": {}, "README": {},
	}}
	tests := []struct{ name, want string }{
		{"new.csv", "new.csv"},
		{"users.csv", "users_20261123T101500Z_2.csv"},
		{"README", "README_20261123T101500Z"},
		{"users_20261123T101500Z.csv", "users_20261123T101500Z_20261123T101500Z.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := archiveName(dir, tt.name, fixedNow); got != tt.want {
				t.Errorf("archiveName(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestTempName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"invoices.csv", false},
		{"invoices.CSV", false},
		{"invoices", false},
		{"invoices.csv.filepart", true},
		{"invoices.csv.PART", true},
		{"invoices.csv.partial", true},
		{"invoices.tmp", true},
		{".invoices.csv", true},
		{"partial.csv", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tempName(tt.name); got != tt.want {
				t.Errorf("tempName(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"", "/", false},
		{".", "/", false},
		{"/", "/", false},
		{"..", "/", false},
		{"../../etc/passwd", "/etc/passwd", false},
		{"/Incoming/Invoices/../../../../etc", "/etc", false},
		{"Incoming//Invoices/./a.csv", "/Incoming/Invoices/a.csv", false},
		{"/Incoming/a\x00b", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := cleanPath(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("cleanPath(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("cleanPath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDocumentType(t *testing.T) {
	valid := map[string]bool{}
	for _, code := range strings.Fields(`ExternalOrderHeader OrderHeader InventoryTransaction InvoiceHeader
		ExpenseReport RequisitionHeader Account Supplier User Address RemitToAddress Contract ExchangeRate
		Invoice Requisition Payment ApprovalChain LookupValue Item SupplierInformation Asn::Header
		AccountValidationRule ContingentWorkOrderHeader Payables::External::Payable Charge Payables::Invoice
		Payables::Expense CoupaPay::Payment CoupaPay::Statement ReceiptRequest InventoryRequestHeader`) {
		valid[code] = true
	}
	none := map[string]bool{"BudgetLines": true, "BusinessGroups": true, "Commodities": true, "Departments": true}
	for _, folder := range IncomingFolders() {
		t.Run(folder, func(t *testing.T) {
			got := DocumentType(folder)
			switch {
			case none[folder] && got != "":
				t.Errorf("DocumentType(%q) = %q, want none", folder, got)
			case !none[folder] && !valid[got]:
				t.Errorf("DocumentType(%q) = %q, not a valid Coupa document-type", folder, got)
			}
		})
	}
	if got := DocumentType("Facturas"); got != "" {
		t.Errorf("DocumentType of a non-standard folder = %q, want none", got)
	}
}
