package auth

import (
	"sync"
	"sync/atomic"
)

// maxVerified bounds how many verified tokens an Authority remembers; past
// it, the memory starts again empty (a token is then verified again, once).
const maxVerified = 4096

// verifiedToken is what verify learnt from a token whose signature holds.
type verifiedToken struct {
	client  *client
	scope   string
	expires int64 // Unix seconds
}

// verifiedTokens remembers verified tokens by their exact text, so that
// the signature of a token a client sends on every request is checked
// once. Only a token that verified is remembered, and what verify returns
// for it depends on nothing else but the clock, which it still reads.
type verifiedTokens struct {
	m atomic.Pointer[sync.Map] // string -> verifiedToken
	n atomic.Int64
}

func (v *verifiedTokens) get(tok string) (verifiedToken, bool) {
	m := v.m.Load()
	if m == nil {
		return verifiedToken{}, false
	}
	e, ok := m.Load(tok)
	if !ok {
		return verifiedToken{}, false
	}
	return e.(verifiedToken), true
}

func (v *verifiedTokens) put(tok string, e verifiedToken) {
	m := v.m.Load()
	if m == nil || v.n.Load() >= maxVerified {
		fresh := new(sync.Map)
		if v.m.CompareAndSwap(m, fresh) {
			v.n.Store(0)
		}
		m = v.m.Load()
	}
	if _, loaded := m.LoadOrStore(tok, e); !loaded {
		v.n.Add(1)
	}
}
