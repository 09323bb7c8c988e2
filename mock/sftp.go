package mock

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/sftpd"
)

var _ sftpd.Recorder = (*Mock)(nil)

// RecordFile records the outcome of a flat file processed by the SFTP
// server in the store, as Coupa does: a good file becomes an integration
// history record, a bad one an integration error per problem (a file-level
// reason, or one per bad row with the row in its response). Each carries the
// file's name as integration-filename, so a user finds them with
// ?integration-filename=<name>.
//
// Each file gets its own integration run, of the folder's flat-file
// integration (code SFTP_<FOLDER>, made on first use): successful with the
// row count for a good file, failed for a bad one.
//
// A file uploaded to a tenant's tree (r.Tenant) is recorded in that
// tenant's store; a tenant deleted meanwhile gets nothing.
func (m *Mock) RecordFile(ctx context.Context, r sftpd.Result) error {
	if r.Tenant != "" {
		td, ok := m.lookupTenant(r.Tenant)
		if !ok {
			return fmt.Errorf("mock: tenant %q is gone; %s is not recorded", r.Tenant, r.Path)
		}
		ctx = context.WithValue(ctx, tenantKey{}, td)
	} else {
		defer m.changed()
	}
	st := m.st(ctx)
	now := m.stamp(nil)
	docType := r.DocumentType
	in, run := m.fileRun(st, r, now)
	if r.OK() {
		// Folders without a document-type of their own (BudgetLines,
		// BusinessGroups, Commodities, Departments) are reference data:
		// recorded as LookupValue, the closest code Coupa has.
		if docType == "" {
			docType = string(core.HistoryDocumentTypeLookupValue)
		}
		rec := core.IntegrationHistoryRecord{
			CreatedAt: &now, UpdatedAt: &now,
			CreatedBy: st.apiUser, UpdatedBy: st.apiUser,
			ContactAlertType: core.Functional,
			CreationMethod:   ptr("flat_file"),
			Integration:      in,
			IntegrationRunId: run,
			// A file, not a document: Coupa shows no document-id.
			DocumentType:        core.HistoryDocumentType(docType),
			IntegrationFilename: ptr(r.FileName),
			Status:              ptr("success"),
			Resolved:            ptr(false),
			Exported:            ptr(false),
			Acknowledged:        ptr(false),
			Responses: &[]core.IntegrationRecordResponse{{
				Id:              ptr(st.responseSeq.Add(1)),
				ResponseCode:    ptr("imported"),
				ResponseMessage: ptr(fmt.Sprintf("%d rows imported from %s; archived as %s", r.Rows, r.Path, r.ArchivePath)),
				CreatedAt:       &now, UpdatedAt: &now,
			}},
		}
		st.history().insert(rec, func(h *core.IntegrationHistoryRecord, id int64) { h.Id = &id })
		return nil
	}
	for _, p := range r.Problems {
		rec := core.IntegrationError{
			CreatedAt: &now, UpdatedAt: &now,
			CreatedBy: st.apiUser, UpdatedBy: st.apiUser,
			ContactAlertType:    core.Technical,
			CreationMethod:      ptr("flat_file"),
			Integration:         in,
			IntegrationRunId:    run,
			IntegrationFilename: ptr(r.FileName),
			Status:              ptr("error"),
			Resolved:            ptr(false),
			Responses: &[]core.IntegrationRecordResponse{{
				Id:              ptr(st.responseSeq.Add(1)),
				ResponseCode:    ptr(p.Code),
				ResponseMessage: ptr(p.Message),
				CreatedAt:       &now, UpdatedAt: &now,
			}},
		}
		if docType != "" {
			rec.DocumentType = ptr(core.DocumentType(docType))
		}
		st.errors().insert(rec, func(e *core.IntegrationError, id int64) { e.Id = &id })
	}
	return nil
}

// fileRun makes the integration run of one processed file, and the
// folder's integration when it is the first file of that folder.
func (m *Mock) fileRun(st *state, r sftpd.Result, now time.Time) (*core.Integration, *int64) {
	code := "SFTP_" + strings.ToUpper(r.Folder)
	in, ok := st.integrations().find(func(i *core.IntegrationResource) bool { return i.Code == code })
	if !ok {
		var err error
		in, err = st.integrations().insertChecked(core.IntegrationResource{
			CreatedAt: &now, UpdatedAt: &now, CreatedBy: st.apiUser, UpdatedBy: st.apiUser,
			Code:            code,
			Name:            "SFTP " + r.Folder + " import",
			Description:     ptr("Flat files received in /Incoming/" + r.Folder + "/."),
			Direction:       ptr(core.ToCoupa),
			IntegrationType: ptr(core.FlatFile),
			Contacts:        &[]core.IntegrationContact{},
		}, func(i *core.IntegrationResource, id int64) { i.Id = &id }, func(rows iter.Seq[*core.IntegrationResource]) error {
			for r := range rows {
				if r.Code == code {
					return errDuplicate
				}
			}
			return nil
		})
		if errors.Is(err, errDuplicate) { // made meanwhile by another file of the folder
			in, _ = st.integrations().find(func(i *core.IntegrationResource) bool { return i.Code == code })
		}
	}
	ref := &core.Integration{Id: in.Id, Code: ptr(in.Code), Name: ptr(in.Name)}
	run := core.IntegrationRunResource{
		CreatedAt: &now, UpdatedAt: &now, CreatedBy: st.apiUser, UpdatedBy: st.apiUser,
		Integration:      *ref,
		Status:           ptr(core.Successful),
		StartTime:        ptr(r.ReceivedAt.UTC().Truncate(time.Second)),
		EndTime:          &now,
		TotalRecords:     ptr(int64(r.Rows)),
		RecordsProcessed: ptr(int64(r.Rows)),
	}
	if !r.OK() {
		run.Status, run.RecordsProcessed = ptr(core.Failed), ptr(int64(0))
	}
	run = st.runs().insert(run, func(x *core.IntegrationRunResource, id int64) { x.Id = &id })
	return ref, run.Id
}

var errDuplicate = errors.New("duplicate")

// OutgoingDropper places export files in the SFTP server's /Outgoing/
// folders; *sftpd.Server is one.
type OutgoingDropper interface {
	DropOutgoing(object string) (string, error)
}

// outgoing is the SFTP server behind POST /_mock/sftp/outgoing/{object}.
type outgoing struct {
	mu      sync.RWMutex
	dropper OutgoingDropper
}

// AttachSFTP makes POST /_mock/sftp/outgoing/{object} drop export files
// through d. Until it is called, that route answers 404.
func (m *Mock) AttachSFTP(d OutgoingDropper) {
	m.outgoing.mu.Lock()
	m.outgoing.dropper = d
	m.outgoing.mu.Unlock()
	m.placeSFTPFiles()
}

func (m *Mock) dropOutgoing(w http.ResponseWriter, r *http.Request) {
	m.outgoing.mu.RLock()
	d := m.outgoing.dropper
	m.outgoing.mu.RUnlock()
	if d == nil {
		writeErrors(w, http.StatusNotFound, "sftp", "the SFTP server is not running")
		return
	}
	path, err := d.DropOutgoing(r.PathValue("object"))
	switch {
	case errors.Is(err, sftpd.ErrUnknownFolder):
		writeErrors(w, http.StatusNotFound, "sftp", err.Error())
	case err != nil:
		writeErrors(w, http.StatusInternalServerError, "sftp", err.Error())
	default:
		writeJSON(w, http.StatusCreated, map[string]string{"path": path})
	}
}
