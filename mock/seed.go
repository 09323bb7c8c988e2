package mock

import (
	"math/rand"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/coupakit/coupakit/gen/core"
)

var (
	alertTypes     = []string{"Technical", "Functional", "Both"}
	errorStatuses  = []string{"error", "failed", "pending"}
	recordStatuses = []string{"success", "success", "success", "failed", "pending"}
	creationMethod = []string{"api", "flat_file", "ui"}
	systems        = []string{"SAP", "ORACLE", "NETSUITE", "WORKDAY", "DYNAMICS", "SAGE"}
	objects        = []struct{ code, folder, doc string }{
		{"INVOICES", "Invoices", "InvoiceHeader"},
		{"SUPPLIERS", "Suppliers", "Supplier"},
		{"PURCHASE_ORDERS", "PurchaseOrders", "OrderHeader"},
		{"PAYMENTS", "InvoicePayments", "Payment"},
		{"USERS", "Users", "User"},
		{"ACCOUNTS", "Accounts", "Account"},
		{"EXPENSES", "ExpenseReports", "ExpenseReport"},
		{"REQUISITIONS", "Requisitions", "RequisitionHeader"},
	}
	errorMessages = []string{
		"Cost center %d is blocked for posting.",
		"Supplier %d not found in the vendor master.",
		"Posting period %d is closed.",
		"Tax code V%d is not valid for the company code.",
		"Invoice amount differs from the purchase order by %d.",
	}
	eventWords = []string{"IT Hardware", "Office Supplies", "Air Freight", "Facility Services", "Marketing Agencies", "Cloud Services", "Packaging", "Logistics", "Temporary Labour", "Fleet Leasing"}
)

// newState builds the seeded state, deterministic for a seed: every
// resource's seed, in rank order, then record i of every resource's
// seedEach in rank order, for i from 1 to records.
func newState(seed int64, records int) *state { return seedState(registry, seed, records) }

// seedState is newState for the resources defs, whose indexes are their
// places in defs.
func seedState(defs []*resourceDef, seed int64, records int) *state {
	f := gofakeit.NewCustom(rand.NewSource(seed).(rand.Source64))
	s := &state{tables: make([]any, len(defs))}
	for _, d := range defs {
		s.tables[d.index] = d.newTable()
		s.tables[d.index].(interface{ watch(*atomic.Uint64) }).watch(&s.gen)
	}
	s.apiUser = &core.User{Id: 1, Login: "integration.user", Email: ptr("integration.user@example.com"), Firstname: ptr("Integration"), Lastname: ptr("User")}
	s.users = []core.User{*s.apiUser}
	for i := 2; i <= 6; i++ {
		first, last := f.FirstName(), f.LastName()
		login := strings.ToLower(first + "." + last)
		s.users = append(s.users, core.User{Id: int64(i), Login: login, Email: ptr(login + "@example.com"), Firstname: ptr(first), Lastname: ptr(last)})
	}
	sd := &seeding{f: f, st: s, records: records}
	order := bySeedOrder(defs)
	for _, d := range order {
		if d.seed != nil {
			d.seed(sd)
		}
	}
	for i := 1; i <= records; i++ {
		for _, d := range order {
			if d.seedEach != nil {
				d.seedEach(sd, i)
			}
		}
	}
	return s
}

// seedPick is what records of the same number share: the run, its
// integration, the object it moves and who made them.
type seedPick struct {
	run     int64
	in      core.Integration
	obj     struct{ code, folder, doc string }
	creator core.User
}

func objectOf(code string) struct{ code, folder, doc string } {
	for _, o := range objects {
		if strings.HasSuffix(code, "_"+o.code) {
			return o
		}
	}
	return objects[0]
}

// exportName names a flat file the way Coupa does: Invoices_20141209_234608Z.csv.
func exportName(folder string, at time.Time) string {
	return folder + "_" + at.UTC().Format("20060102_150405") + "Z.csv"
}
