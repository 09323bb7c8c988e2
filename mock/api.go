package mock

import (
	"github.com/coupakit/coupakit/gen/core"
	"github.com/coupakit/coupakit/gen/sourcing"
)

// coreServer implements the Core API's generated strict interface; each
// resource's file holds the methods of its operations.
type coreServer struct{ m *Mock }

var _ core.StrictServerInterface = (*coreServer)(nil)

// sourcingServer implements the Sourcing API's generated strict interface;
// each resource's file holds the methods of its operations.
type sourcingServer struct{ m *Mock }

var _ sourcing.StrictServerInterface = (*sourcingServer)(nil)
