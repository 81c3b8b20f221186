package main

import (
	"context"
	"os"
	"regexp"
	"testing"
)

// TestReadmeDocumentsEverySetting runs --help of every command and checks that each
// FAYUN_* variable it prints appears in the README's configuration table.
func TestReadmeDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	vars := regexp.MustCompile(`FAYUN_[A-Z0-9_]+`)
	seen := map[string]bool{}
	for name := range commands {
		env, out := testEnv(nil)
		args := append(splitName(name), "--help")
		_ = dispatch(context.Background(), env, args)
		for _, v := range vars.FindAllString(out.String(), -1) {
			if !seen[v] && !regexp.MustCompile(`\b`+v+`\b`).Match(readme) {
				t.Errorf("README.md does not document %s (used by fayun %s)", v, name)
			}
			seen[v] = true
		}
	}
	if len(seen) < 5 {
		t.Fatalf("found only %d settings in --help output", len(seen))
	}
}

func splitName(name string) []string {
	return regexp.MustCompile(` `).Split(name, -1)
}
