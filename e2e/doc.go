// Package e2e holds Fayun's end-to-end tests: a real `fayun serve` on a fresh database,
// driven by headless Chromium in a loopback-only network namespace
// (see internal/browsertest). It has no code of its own besides the tests.
package e2e
