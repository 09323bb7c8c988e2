package mock

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/coupakit/coupakit/internal/adminjson"
	"github.com/coupakit/coupakit/sftpd"
)

// SFTPFaulter injects faults into the SFTP server; *sftpd.Server is one.
// When the server given to AttachSFTP is one, /_mock/sftp/faults manages
// its faults and Reset puts them back.
type SFTPFaulter interface {
	AddFault(sftpd.Fault) (sftpd.Fault, error)
	Faults() []sftpd.Fault
	DeleteFault(id int64) error
	ResetFaults()
}

// sftpFaulter is the attached SFTP server's faults, nil when it has none.
func (m *Mock) sftpFaulter() SFTPFaulter {
	m.outgoing.mu.RLock()
	defer m.outgoing.mu.RUnlock()
	f, _ := m.outgoing.dropper.(SFTPFaulter)
	return f
}

func (m *Mock) resetSFTPFaults() {
	if f := m.sftpFaulter(); f != nil {
		f.ResetFaults()
	}
}

// registerSFTPFaults mounts the SFTP fault routes on the admin mux:
//
//	POST   /_mock/sftp/faults       add a fault: 201 with it and its id
//	GET    /_mock/sftp/faults       the faults, with their counts
//	DELETE /_mock/sftp/faults       remove every fault (held folders are released): 204
//	DELETE /_mock/sftp/faults/{id}  remove one: 204, or 404
//
// Without an SFTP server every one answers 404.
func (m *Mock) registerSFTPFaults(mux *http.ServeMux) {
	with := func(h func(http.ResponseWriter, *http.Request, SFTPFaulter)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			f := m.sftpFaulter()
			if f == nil {
				adminjson.Error(w, http.StatusNotFound, "sftp", "the SFTP server is not running")
				return
			}
			h(w, r, f)
		}
	}
	mux.HandleFunc("POST /_mock/sftp/faults", with(func(w http.ResponseWriter, r *http.Request, sf SFTPFaulter) {
		var in sftpd.Fault
		if err := adminjson.Decode(w, r, &in); err != nil {
			adminjson.Error(w, http.StatusBadRequest, "sftp", err.Error())
			return
		}
		if in.ID != 0 || in.Fired != 0 || in.Retired {
			adminjson.Error(w, http.StatusBadRequest, "sftp", "id, fired and retired are set by the server")
			return
		}
		out, err := sf.AddFault(in)
		var fe *sftpd.FaultError
		switch {
		case errors.As(err, &fe):
			adminjson.Error(w, http.StatusBadRequest, "sftp", fe.Problems...)
		case err != nil:
			adminjson.Error(w, http.StatusBadRequest, "sftp", err.Error())
		default:
			adminjson.Write(w, http.StatusCreated, out)
		}
	}))
	mux.HandleFunc("GET /_mock/sftp/faults", with(func(w http.ResponseWriter, r *http.Request, sf SFTPFaulter) {
		adminjson.Write(w, http.StatusOK, sf.Faults())
	}))
	mux.HandleFunc("DELETE /_mock/sftp/faults", with(func(w http.ResponseWriter, r *http.Request, sf SFTPFaulter) {
		for _, f := range sf.Faults() {
			_ = sf.DeleteFault(f.ID)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("DELETE /_mock/sftp/faults/{id}", with(func(w http.ResponseWriter, r *http.Request, sf SFTPFaulter) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err == nil {
			err = sf.DeleteFault(id)
		}
		if err != nil {
			adminjson.Error(w, http.StatusNotFound, "sftp", "no SFTP fault has id "+strconv.Quote(r.PathValue("id")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
}
