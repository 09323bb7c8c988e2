package sftpd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pkg/sftp"
)

func TestUploadSizeLimits(t *testing.T) {
	t.Run("over 8 MB is archived and reported too large", func(t *testing.T) {
		ts := startServer(t)
		c := ts.login(t)
		data := csvRows(1000, 2, 9000) // about 9 MB
		put(t, c, "/Incoming/Invoices/big.csv", data)
		ts.waitIdle(t)
		got := ts.rec.all()
		if len(got) != 1 || len(got[0].Problems) != 1 || got[0].Problems[0].Code != CodeTooLarge || got[0].Size != int64(len(data)) {
			t.Fatalf("results = %+v; want one file refused as too large", got)
		}
		if diff := cmp.Diff([]string{"big.csv"}, names(t, c, "/Archive/Incoming/Invoices")); diff != "" {
			t.Errorf("archive (-want +got):\n%s", diff)
		}
	})

	t.Run("over the upload cap is refused and never processed", func(t *testing.T) {
		ts := startServer(t)
		c := ts.login(t)
		const p = "/Incoming/Invoices/huge.csv"
		f, err := c.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		_, werr := f.Write(make([]byte, MaxUploadBytes+1))
		if fxCode(werr) != uint32(sftp.ErrSSHFxFailure) || !strings.Contains(werr.Error(), "16 MiB cap") {
			t.Fatalf("write beyond the cap: %v; want SSH_FX_FAILURE naming the cap", werr)
		}
		f.Close()
		if r := ts.logs.wait(t, "sftp: upload ", map[string]string{"path": p}); !strings.HasPrefix(r.Msg, "sftp: upload failed") {
			t.Fatalf("server's verdict: %v; want the upload failed", r)
		}
		ts.waitIdle(t)
		if got := ts.rec.all(); len(got) != 0 {
			t.Fatalf("refused upload processed: %+v", got)
		}
		// The session is still usable.
		put(t, c, "/Incoming/Invoices/small.csv", csvFile("a", "1"))
		ts.waitIdle(t)
		if got := ts.rec.all(); len(got) != 1 || got[0].FileName != "small.csv" {
			t.Fatalf("results = %+v; want small.csv", got)
		}
	})
}

func TestQuotaEvictsOldestArchivedFiles(t *testing.T) {
	ts := startServer(t)
	c := ts.login(t)
	u := ts.users[DefaultUser].fs
	u.mu.Lock()
	u.quota = u.used + 10_000
	u.mu.Unlock()

	data := csvRows(1, 1, 2980) // 2,996 bytes: three fit in the quota, four do not
	for i := 1; i <= 4; i++ {
		put(t, c, fmt.Sprintf("/Incoming/Users/u%d.csv", i), data)
		ts.waitIdle(t)
	}
	if diff := cmp.Diff([]string{"u2.csv", "u3.csv", "u4.csv"}, names(t, c, "/Archive/Incoming/Users")); diff != "" {
		t.Errorf("archive after 4 uploads of 2,996 bytes in a 10,000-byte quota (-want +got):\n%s", diff)
	}

	f, err := c.Create("/Incoming/Users/too-big.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, werr := f.Write(make([]byte, 11_000))
	f.Close()
	if fxCode(werr) != uint32(sftp.ErrSSHFxFailure) || !strings.Contains(werr.Error(), "quota") {
		t.Fatalf("write beyond the quota: %v; want SSH_FX_FAILURE naming the quota", werr)
	}
	if diff := cmp.Diff([]string{"u2.csv", "u3.csv", "u4.csv"}, names(t, c, "/Archive/Incoming/Users")); diff != "" {
		t.Errorf("an upload that cannot fit evicted the archive (-want +got):\n%s", diff)
	}
}
