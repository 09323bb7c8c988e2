package faults

// index narrows the rules a request must try: a rule with an exact path
// is tried only on that path, a glob whose literal start holds two whole
// segments ("/api/integration_runs/*") only on paths that start with them,
// one with an operation (and no path) only on that operation, one with an
// API alone only on that API; the others (shorter globs, and rules that
// match on the method alone or on nothing) are tried on every request. Each list holds positions in the snapshot's
// rules, ascending, so that merging them keeps the order of the rules.
type index struct {
	byPath map[string][]int
	byHead map[string][]int // globs, by head (see head)
	byOp   map[string][]int
	byAPI  map[string][]int
	rest   []int
}

func newSnapshot(rules []*rule, settings Settings) *snapshot {
	ix := &index{byPath: map[string][]int{}, byHead: map[string][]int{}, byOp: map[string][]int{}, byAPI: map[string][]int{}}
	for i, c := range rules {
		m := &c.r.Match
		switch {
		case m.Path != "" && !c.glob:
			ix.byPath[m.Path] = append(ix.byPath[m.Path], i)
		case c.glob && head(c.prefix) != "":
			h := head(c.prefix)
			ix.byHead[h] = append(ix.byHead[h], i)
		case m.Path == "" && m.Operation != "":
			ix.byOp[m.Operation] = append(ix.byOp[m.Operation], i)
		case m.Path == "" && m.API != "":
			ix.byAPI[m.API] = append(ix.byAPI[m.API], i)
		default:
			ix.rest = append(ix.rest, i)
		}
	}
	return &snapshot{rules: rules, settings: settings, index: ix}
}

// candidates calls try with the rules that may match a request on path, in
// their order, until try reports true; describe gives the request's API and
// operation, and is called only when some rule needs them.
func (ix *index) candidates(path string, describe func() (string, string), try func(int) bool) {
	var lists [5][]int
	lists[0], lists[1] = ix.byPath[path], ix.rest
	if len(ix.byHead) > 0 {
		lists[4] = ix.byHead[head(path)]
	}
	if len(ix.byOp) > 0 || len(ix.byAPI) > 0 {
		api, op := describe()
		lists[2], lists[3] = ix.byOp[op], ix.byAPI[api]
	}
	for {
		best := -1
		for k := range lists {
			if len(lists[k]) > 0 && (best < 0 || lists[k][0] < lists[best][0]) {
				best = k
			}
		}
		if best < 0 {
			return
		}
		i := lists[best][0]
		lists[best] = lists[best][1:]
		if try(i) {
			return
		}
	}
}

// head is the start of p up to and including its third slash ("/api/x/"),
// or "" when p has fewer.
func head(p string) string {
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			if n++; n == 3 {
				return p[:i+1]
			}
		}
	}
	return ""
}
