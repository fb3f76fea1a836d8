//go:build tools

// Package crdgen pins the Flux API modules whose CRDs scripts/harness-crds
// generates with controller-gen (the tool directive in go.mod): the
// controllers' own modules, which hold config/crd/bases, are not served by
// the module proxy here, their api modules are. Importing them keeps them
// (and their go.sum lines) in this module.
package crdgen

import (
	_ "github.com/fluxcd/image-automation-controller/api/v1"
	_ "github.com/fluxcd/image-reflector-controller/api/v1"
)
