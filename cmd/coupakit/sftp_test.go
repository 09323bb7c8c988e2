package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/coupakit/coupakit/sftpd"
)

func dialSFTP(t *testing.T, sftpURL string) *sftp.Client {
	t.Helper()
	u, err := url.Parse(sftpURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ssh.Dial("tcp", u.Host, &ssh.ClientConfig{
		User:            sftpd.DefaultUser,
		Auth:            []ssh.AuthMethod{ssh.Password(sftpd.DefaultPassword)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func upload(t *testing.T, c *sftp.Client, path, content string) {
	t.Helper()
	f, err := c.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(f, content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// records polls a Core list until it returns at least one record or the
// time is up: processing runs after the upload handle closes.
func records(t *testing.T, listURL string) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", listURL, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSFTPFilesShowUpInTheAPI runs the whole path: upload over SFTP, the
// file is processed and archived, and the outcome is read over HTTP.
func TestSFTPFilesShowUpInTheAPI(t *testing.T) {
	urls, stop, _ := startServe(t, "--records", "2", "--auth", "none")
	defer stop()
	c := dialSFTP(t, urls["SFTP"])
	core := urls["Core API"]

	upload(t, c, "/Incoming/Invoices/good_invoices.csv", "Invoice Number*,Supplier*,Total\nINV-1,Acme,10.00\nINV-2,Acme,\"1,200.50\"\n")
	hist := records(t, core+"/api/integration_history_records?integration-filename=good_invoices.csv")
	if len(hist) != 1 {
		t.Fatalf("history records for the good file: %v", hist)
	}
	if hist[0]["status"] != "success" || hist[0]["document-type"] != "InvoiceHeader" {
		t.Errorf("history record: %v", hist[0])
	}
	if msg := fmt.Sprint(hist[0]["responses"]); !strings.Contains(msg, "2 rows") {
		t.Errorf("the row count is not recorded: %s", msg)
	}
	if _, err := c.Stat("/Archive/Incoming/Invoices/good_invoices.csv"); err != nil {
		t.Errorf("the good file was not archived: %v", err)
	}
	if _, err := c.Stat("/Incoming/Invoices/good_invoices.csv"); err == nil {
		t.Error("the good file is still in Incoming")
	}

	upload(t, c, "/Incoming/Suppliers/bad_suppliers.csv", "Name*,Number*\nAcme,1\nGlobex\n")
	errs := records(t, core+"/api/integration_errors?integration-filename=bad_suppliers.csv")
	if len(errs) != 1 {
		t.Fatalf("errors for the bad file: %v", errs)
	}
	if errs[0]["document-type"] != "Supplier" || !strings.Contains(fmt.Sprint(errs[0]["responses"]), "row 2") {
		t.Errorf("error record: %v", errs[0])
	}

	// An export dropped on demand can be downloaded and deleted.
	resp, err := http.Post(core+"/_mock/sftp/outgoing/Invoices", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var dropped struct{ Path string }
	err = json.NewDecoder(resp.Body).Decode(&dropped)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 201 || !strings.HasPrefix(dropped.Path, "/Outgoing/Invoices/Invoices_") {
		t.Fatalf("drop: %d %v %+v", resp.StatusCode, err, dropped)
	}
	f, err := c.Open(dropped.Path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil || !strings.Contains(string(data), "\n") {
		t.Fatalf("download: %v %q", err, data)
	}
	if err := c.Remove(dropped.Path); err != nil {
		t.Errorf("delete after download: %v", err)
	}
	resp, err = http.Post(core+"/_mock/sftp/outgoing/Factures", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("a translated folder name gave %d, want 404", resp.StatusCode)
	}
}
