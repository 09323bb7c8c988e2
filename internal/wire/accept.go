package wire

import (
	"mime"
	"strconv"
	"strings"
)

// Format is a body format the Core API answers in.
type Format int

const (
	// XML is Coupa's default: the answer when the client states no
	// preference for JSON.
	XML Format = iota
	// JSON is the answer when the client prefers it.
	JSON
)

// String names the format's media type.
func (f Format) String() string {
	if f == JSON {
		return "application/json"
	}
	return "application/xml"
}

// Negotiate returns the format the Core API answers a request with this
// Accept header in, as Coupa does: JSON when the client prefers JSON, XML
// otherwise (no header, */*, application/xml, text/xml, or nothing either
// format satisfies).
//
// Quality values count: "application/json;q=0.9, application/xml;q=0.1" is
// JSON and "application/xml;q=0.5, application/json" is JSON too; q=0 rules
// a format out. At equal quality the more specific range wins
// (application/json over */*), then the range listed first.
func Negotiate(accept string) Format {
	switch accept { // the headers clients send most, without parsing
	case "application/json":
		return JSON
	case "", "*/*", "application/xml", "text/xml":
		return XML
	}
	jsonQ, jsonRank := quality(accept, "application/json")
	xmlQ, xmlRank := quality(accept, "application/xml")
	if q, r := quality(accept, "text/xml"); q > xmlQ || (q == xmlQ && r.better(xmlRank)) {
		xmlQ, xmlRank = q, r
	}
	switch {
	case jsonQ <= 0:
		return XML
	case jsonQ > xmlQ:
		return JSON
	case jsonQ == xmlQ && jsonRank.better(xmlRank):
		return JSON
	}
	return XML
}

// Accepts reports whether a request with this Accept header takes an
// answer of mediaType (quality above 0). No header accepts everything.
func Accepts(accept, mediaType string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	q, _ := quality(accept, mediaType)
	return q > 0
}

// AcceptsXML reports whether a request with this Accept header lets the
// Core API answer XML: it takes application/xml or text/xml (by name, by
// application/* or text/*, or by */*), or it states nothing at all. It
// differs from Negotiate(accept) == XML where a header takes both formats
// ("application/json, application/xml": XML allowed, JSON preferred) or
// neither ("text/html": XML not allowed, but answered by Coupa).
func AcceptsXML(accept string) bool {
	return Accepts(accept, "application/xml") || Accepts(accept, "text/xml")
}

// IsXML reports whether a Content-Type is XML: application/xml or
// text/xml, parameters such as charset aside.
func IsXML(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/xml" || mt == "text/xml")
}

// rank orders media ranges that give a type the same quality.
type rank struct {
	specificity int // 3 exact or +suffix, 2 type/*, 1 */*
	position    int // where in the header, first is 0
}

func (r rank) better(o rank) bool {
	if r.specificity != o.specificity {
		return r.specificity > o.specificity
	}
	return r.position < o.position
}

// quality returns the quality the header gives mediaType, by its most
// specific matching range (0 when none matches), and that range's rank.
func quality(accept, mediaType string) (float64, rank) {
	if strings.TrimSpace(accept) == "" {
		return 1, rank{specificity: 1}
	}
	typ, sub, _ := strings.Cut(mediaType, "/")
	best, bestRank, found := 0.0, rank{}, false
	for i, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		rt, rs, _ := strings.Cut(mt, "/")
		spec := 0
		switch {
		case mt == mediaType:
			spec = 3
		case rt == typ && strings.HasSuffix(rs, "+"+sub): // application/vnd.x+json
			spec = 3
		case rt == typ && rs == "*":
			spec = 2
		case mt == "*/*" || mt == "*":
			spec = 1
		default:
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 && v <= 1 {
				q = v
			}
		}
		r := rank{specificity: spec, position: i}
		// The most specific range decides the type's quality.
		if !found || spec > bestRank.specificity {
			best, bestRank, found = q, r, true
		}
	}
	return best, bestRank
}
