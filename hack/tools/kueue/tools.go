//go:build tools

// Package tools pins Kueue's manager (sigs.k8s.io/kueue/cmd/kueue), built by hack/build-tools.sh
// --kueue into _output/tools/bin/kueue for test/e2e/kueue_e2e.py (docs/integrations/kueue.md).
package tools

import (
	_ "sigs.k8s.io/kueue/cmd/kueue"
)
