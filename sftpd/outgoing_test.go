package sftpd

import (
	"testing"

	"github.com/coupakit/coupakit/internal/wire"
)

// TestSeedEpochIsTheMocks: the seeded export times are anchored where the
// mock's seeded records are.
func TestSeedEpochIsTheMocks(t *testing.T) {
	if !seedEpoch.Equal(wire.SeedEpoch) || seedEpoch.Location() != wire.SeedEpoch.Location() {
		t.Errorf("sftpd's seedEpoch is %v, the mock's (wire.SeedEpoch) %v", seedEpoch, wire.SeedEpoch)
	}
}
