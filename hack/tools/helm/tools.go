//go:build tools

// Package tools pins helm (helm.sh/helm/v3/cmd/helm), built by hack/build-tools.sh into
// _output/tools/bin/helm for the chart tests (charts/hami).
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
