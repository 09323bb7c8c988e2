package sftpd

import (
	"fmt"
	"path"
	"strings"
	"sync"
)

// TenantSeparator joins a user name and a tenant in a login: a user that
// logs in as "coupakit+acme" is user coupakit, with that user's password or
// keys, in tenant acme's tree. A login that is itself a configured user's
// name is that user's, whatever it holds.
const TenantSeparator = "+"

// tenantTrees holds each user's tree per tenant, made on first login.
type tenantTrees struct {
	mu    sync.Mutex
	trees map[string]map[string]*userFS // tenant -> user -> tree
}

// account finds the account and tenant of a login: the configured user of
// that name (tenant ""), else, when Config.Tenant is set, user+tenant.
func (s *Server) account(login string) (*account, string) {
	if a := s.users[login]; a != nil {
		return a, ""
	}
	if s.cfg.Tenant == nil {
		return nil, ""
	}
	i := strings.LastIndex(login, TenantSeparator)
	if i <= 0 || i == len(login)-1 {
		return nil, ""
	}
	a := s.users[login[:i]]
	if a == nil {
		return nil, ""
	}
	return a, login[i+1:]
}

// checkTenant asks Config.Tenant whether a tenant may be used (and makes
// it); a refusal refuses the login.
func (s *Server) checkTenant(tenant string) error {
	if tenant == "" {
		return nil
	}
	if err := s.cfg.Tenant(tenant); err != nil {
		return fmt.Errorf("tenant %q: %w", tenant, err)
	}
	return nil
}

// treeOf returns an account's tree in a tenant, made on first use with the
// seeded export files: every tenant's tree starts as the default one did.
func (s *Server) treeOf(a *account, tenant string) *userFS {
	if tenant == "" {
		return a.fs
	}
	s.tenants.mu.Lock()
	defer s.tenants.mu.Unlock()
	if s.tenants.trees == nil {
		s.tenants.trees = map[string]map[string]*userFS{}
	}
	byUser := s.tenants.trees[tenant]
	if byUser == nil {
		byUser = map[string]*userFS{}
		s.tenants.trees[tenant] = byUser
	}
	fs := byUser[a.Name]
	if fs == nil {
		fs = newUserFS(a.Name, s.now())
		fs.tenant = tenant
		for _, f := range seedOutgoing(s.cfg.Seed) {
			fs.addExport(f)
		}
		if s.cfg.Files != nil {
			now := s.now()
			for _, f := range s.cfg.Files(tenant) {
				p := path.Clean(f.Path)
				d := fs.dirs[path.Dir(p)]
				if d == nil || d.files == nil || d.files[path.Base(p)] != nil || !fs.reserve(int64(len(f.Content)), now) {
					continue // SetFiles' checks: the mock has made them
				}
				fs.link(d, &fileNode{data: f.Content, shared: true, modTime: now, complete: true, receivedAt: now}, path.Base(p), now)
			}
		}
		byUser[a.Name] = fs
	}
	return fs
}

// DeleteTenant removes every user's tree in a tenant; the tenant's next
// login starts afresh. Sessions open in it keep their tree until they end.
func (s *Server) DeleteTenant(tenant string) {
	s.tenants.mu.Lock()
	defer s.tenants.mu.Unlock()
	delete(s.tenants.trees, tenant)
}
