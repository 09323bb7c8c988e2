package mock

import (
	"fmt"
	"math/rand"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/gen/sourcing"
)

// seedEpoch anchors seeded timestamps, so that the same seed gives the same
// data whatever the wall clock says.
var seedEpoch = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// firstEventID is where seeded event ids start: 19 digits, like Coupa's,
// beyond float64 precision and within int64.
const firstEventID int64 = 9220538753252871000

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

// newState builds the seeded state: deterministic for a seed.
func newState(seed int64, records int) *state {
	f := gofakeit.NewCustom(rand.NewSource(seed).(rand.Source64))
	s := &state{
		errors:       newTable(func(r *core.IntegrationError) int64 { return *r.Id }, 1),
		history:      newTable(func(r *core.IntegrationHistoryRecord) int64 { return *r.Id }, 1),
		integrations: newTable(func(r *core.IntegrationResource) int64 { return *r.Id }, 1),
		runs:         newTable(func(r *core.IntegrationRunResource) int64 { return *r.Id }, 1),
		events:       newTable(func(r *eventRow) int64 { return r.id }, firstEventID),
	}
	s.apiUser = core.User{Id: 1, Login: "integration.user", Email: ptr("integration.user@example.com"), Firstname: ptr("Integration"), Lastname: ptr("User")}
	s.users = []core.User{s.apiUser}
	for i := 2; i <= 6; i++ {
		first, last := f.FirstName(), f.LastName()
		login := strings.ToLower(first + "." + last)
		s.users = append(s.users, core.User{Id: int64(i), Login: login, Email: ptr(login + "@example.com"), Firstname: ptr(first), Lastname: ptr(last)})
	}

	seen := map[string]bool{}
	var ins []core.IntegrationResource
	for len(ins) < 6 {
		sys, obj := systems[f.Number(0, len(systems)-1)], objects[f.Number(0, len(objects)-1)]
		code := sys + "_" + obj.code
		if seen[code] {
			continue
		}
		seen[code] = true
		at := seedEpoch.Add(-time.Duration(f.Number(90, 365)) * 24 * time.Hour)
		in := core.IntegrationResource{
			Id:              ptr(int64(len(ins) + 1)),
			CreatedAt:       ptr(at),
			UpdatedAt:       ptr(at),
			CreatedBy:       ptr(s.apiUser),
			UpdatedBy:       ptr(s.apiUser),
			Code:            code,
			Name:            fmt.Sprintf("%s %s integration", sys, strings.ToLower(strings.ReplaceAll(obj.code, "_", " "))),
			Description:     ptr(fmt.Sprintf("%s %s between Coupa and %s.", []string{"Exports", "Imports"}[f.Number(0, 1)], strings.ToLower(strings.ReplaceAll(obj.code, "_", " ")), sys)),
			Direction:       ptr(core.Direction([]string{"to_coupa", "from_coupa"}[f.Number(0, 1)])),
			IntegrationType: ptr(core.IntegrationType([]string{"flat_file", "api", "json", "xml"}[f.Number(0, 3)])),
			EndSystemType:   ptr(sys),
		}
		var contacts []core.IntegrationContact
		for _, kind := range []string{"Technical", "Functional", alertTypes[f.Number(0, 2)]} {
			first, last := f.FirstName(), f.LastName()
			contacts = append(contacts, core.IntegrationContact{Name: ptr(first + " " + last), Email: strings.ToLower(first+"."+last) + "@example.com", ContactAlertType: core.ContactAlertType(kind)})
		}
		in.Contacts = &contacts
		ins = append(ins, in)
	}
	s.integrations.load(ins)

	var runs []core.IntegrationRunResource
	if records > 0 {
		for i := 1; i <= records/3+1; i++ {
			in := ins[f.Number(0, len(ins)-1)]
			start := seedEpoch.Add(-time.Duration(f.Number(60, 60*24*60)) * time.Minute)
			total := int64(f.Number(1, 500))
			run := core.IntegrationRunResource{
				Id:           ptr(int64(i)),
				CreatedAt:    ptr(start),
				UpdatedAt:    ptr(start),
				CreatedBy:    ptr(s.apiUser),
				UpdatedBy:    ptr(s.apiUser),
				Integration:  core.Integration{Id: in.Id, Code: ptr(in.Code), Name: ptr(in.Name)},
				StartTime:    ptr(start),
				TotalRecords: ptr(total),
			}
			switch status := []core.RunStatus{core.Successful, core.Successful, core.Failed, core.Running}[f.Number(0, 3)]; status {
			case core.Running:
				run.Status, run.RecordsProcessed = ptr(status), ptr(total/2)
			default:
				end := start.Add(time.Duration(f.Number(1, 600)) * time.Second)
				run.Status, run.EndTime, run.UpdatedAt = ptr(status), ptr(end), ptr(end)
				run.RecordsProcessed = ptr(total)
				if status == core.Failed {
					run.RecordsProcessed = ptr(int64(f.Number(0, int(total))))
				}
			}
			runs = append(runs, run)
		}
	}
	s.runs.load(runs)

	errs := make([]core.IntegrationError, 0, records)
	hist := make([]core.IntegrationHistoryRecord, 0, records)
	evs := make([]eventRow, 0, records)
	for i := 1; i <= records; i++ {
		at := seedEpoch.Add(-time.Duration(f.Number(60, 60*24*60)) * time.Minute)
		run := runs[f.Number(0, len(runs)-1)]
		runID, in := *run.Id, run.Integration
		obj := objectOf(*in.Code)
		creator := s.users[f.Number(0, len(s.users)-1)]
		docID := int64(f.Number(1000, 99999))
		e := core.IntegrationError{
			Id:                  ptr(int64(i)),
			CreatedAt:           ptr(at),
			UpdatedAt:           ptr(at.Add(time.Duration(f.Number(0, 3600)) * time.Second)),
			CreatedBy:           ptr(creator),
			UpdatedBy:           ptr(creator),
			ContactAlertType:    core.ContactAlertType(alertTypes[f.Number(0, 2)]),
			CreationMethod:      ptr(creationMethod[f.Number(0, len(creationMethod)-1)]),
			DocumentId:          ptr(docID),
			DocumentRevision:    ptr(int64(f.Number(1, 4))),
			DocumentStatus:      ptr(f.RandomString([]string{"pending_approval", "approved", "draft", "pending_receipt"})),
			DocumentType:        ptr(core.DocumentType(obj.doc)),
			ExternalId:          ptr(fmt.Sprintf("%s-%s-%d", strings.SplitN(*in.Code, "_", 2)[0], f.LetterN(3), docID)),
			Integration:         &in,
			IntegrationFilename: ptr(exportName(obj.folder, at)),
			IntegrationRunId:    ptr(runID),
			Resolved:            ptr(f.Number(0, 3) == 0),
			Status:              ptr(errorStatuses[f.Number(0, len(errorStatuses)-1)]),
			Responses: &[]core.IntegrationRecordResponse{{
				Id:              ptr(s.responseSeq.Add(1)),
				ResponseCode:    ptr(fmt.Sprintf("E-%03d", f.Number(1, 999))),
				ResponseMessage: ptr(fmt.Sprintf(errorMessages[f.Number(0, len(errorMessages)-1)], f.Number(1000, 9999))),
				CreatedAt:       ptr(at),
				UpdatedAt:       ptr(at),
			}},
		}
		errs = append(errs, e)

		at = seedEpoch.Add(-time.Duration(f.Number(60, 60*24*60)) * time.Minute)
		exported := f.Number(0, 2) == 0
		h := core.IntegrationHistoryRecord{
			Id:                  ptr(int64(i)),
			CreatedAt:           ptr(at),
			UpdatedAt:           ptr(at),
			CreatedBy:           ptr(creator),
			UpdatedBy:           ptr(creator),
			ContactAlertType:    core.ContactAlertType(alertTypes[f.Number(0, 2)]),
			CreationMethod:      ptr(creationMethod[f.Number(0, len(creationMethod)-1)]),
			DocumentId:          int64(f.Number(1000, 99999)),
			DocumentType:        core.HistoryDocumentType(obj.doc),
			ExternalId:          ptr(fmt.Sprintf("%s-%d", strings.SplitN(*in.Code, "_", 2)[0], f.Number(100000, 999999))),
			Integration:         &in,
			IntegrationFilename: ptr(exportName(obj.folder, at)),
			IntegrationRunId:    ptr(runID),
			Resolved:            ptr(false),
			Exported:            ptr(exported),
			Acknowledged:        ptr(false),
			Status:              ptr(recordStatuses[f.Number(0, len(recordStatuses)-1)]),
		}
		if exported {
			h.LastExportedAt = ptr(at.Add(5 * time.Minute))
		}
		hist = append(hist, h)

		ev := sourcing.Event{
			Id:          ptr(formatID(firstEventID + int64(i-1)*7)),
			MarketId:    formatID(9220538753220565000 + int64(f.Number(1, 40))*101),
			State:       ptr(sourcing.EventState([]string{"Setup", "Active", "Terminated"}[f.Number(0, 2)])),
			Name:        ptr(fmt.Sprintf("%s %d", eventWords[f.Number(0, len(eventWords)-1)], f.Number(2024, 2027))),
			Description: ptr(f.Sentence(f.Number(3, 8))),
			EventNumber: ptr(int64(i * 10)),
			Settings:    &sourcing.EventSettings{Currency: ptr(f.RandomString([]string{"USD", "EUR", "GBP", "SEK", "CHF", "JPY"}))},
		}
		if f.Bool() {
			ev.ReferenceNumber = ptr(fmt.Sprintf("MC-%s-%02d", strings.ToUpper(f.LetterN(2)), f.Number(1, 99)))
		}
		if f.Bool() {
			ev.TimeZone = ptr(f.RandomString([]string{"Europe/Stockholm", "Europe/London", "America/New_York", "America/Chicago", "Asia/Tokyo", "Australia/Sydney"}))
		}
		evs = append(evs, eventRow{id: firstEventID + int64(i-1)*7, ev: ev})
	}
	s.errors.load(errs)
	s.history.load(hist)
	s.events.load(evs)
	s.eventNumber.Store(int64(records * 10))
	return s
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
