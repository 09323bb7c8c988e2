package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// fileConfig is the JSON form of a Config that LoadConfig reads.
type fileConfig struct {
	Clients []struct {
		ID     string   `json:"id"`
		Secret string   `json:"secret"`
		Scopes []string `json:"scopes"`
	} `json:"clients"`
	APIKeys         []string `json:"api_keys"`
	CSOAPIKeys      []string `json:"cso_api_keys"`
	TokenTTLSeconds int64    `json:"token_ttl_seconds"`
}

// LoadConfig reads the clients and keys of a Config from the JSON file at
// path:
//
//	{
//	  "clients": [{"id": "erp", "secret": "s3cret", "scopes": ["core.integration.read"]}],
//	  "api_keys": ["legacy-key"],
//	  "cso_api_keys": ["cso-key"],
//	  "token_ttl_seconds": 3600
//	}
//
// Every member is optional; what is missing is left zero for New to fill in.
// Unknown members are errors, and so is anything New would refuse. Errors
// name the file, and the line and column for JSON errors. The switches
// (Disabled, AllowAPIKey, RateLimit) come from flags, not from the file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("auth: config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var fc fileConfig
	if err := dec.Decode(&fc); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("auth: config %s: the file is empty; want a JSON object", path)
		}
		return Config{}, fmt.Errorf("auth: config %s: %s: %w", path, position(data, jsonOffset(err, dec)), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("auth: config %s: %s: unexpected data after the JSON object", path, position(data, dec.InputOffset()))
	}

	var cfg Config
	for _, c := range fc.Clients {
		cfg.Clients = append(cfg.Clients, Client{ID: c.ID, Secret: c.Secret, Scopes: c.Scopes})
	}
	cfg.APIKeys = fc.APIKeys
	cfg.CSOAPIKeys = fc.CSOAPIKeys
	var errs []error
	switch maxTTL := int64(math.MaxInt64 / time.Second); {
	case fc.TokenTTLSeconds < 0:
		errs = append(errs, fmt.Errorf("token_ttl_seconds %d is negative", fc.TokenTTLSeconds))
	case fc.TokenTTLSeconds > maxTTL:
		errs = append(errs, fmt.Errorf("token_ttl_seconds %d is more than %d", fc.TokenTTLSeconds, maxTTL))
	default:
		cfg.TokenTTL = time.Duration(fc.TokenTTLSeconds) * time.Second
	}
	if err := validate(cfg); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("auth: config %s: %w", path, err)
	}
	return cfg, nil
}

// jsonOffset returns where in the input err happened.
func jsonOffset(err error, dec *json.Decoder) int64 {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return se.Offset
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return te.Offset
	}
	return dec.InputOffset()
}

// position returns "line L, column C" of byte offset off in data.
func position(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}
