package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise the VCS
// revision recorded by the Go toolchain is shown.
var version = "dev"

func init() {
	register("version", "print the version of this binary", func(_ context.Context, env *environ,
		_ []string) error {
		fmt.Fprintln(env.stdout, versionString())
		return nil
	})
}

func versionString() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
		v += " " + info.GoVersion
	}
	return "fayun " + v
}
