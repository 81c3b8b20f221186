package web

import (
	"fmt"
	"io/fs"
)

func assetsGlob(pattern string) ([]string, error) {
	names, err := fs.Glob(assets, pattern)
	if err != nil {
		return nil, fmt.Errorf("web: glob %s: %w", pattern, err)
	}
	return names, nil
}
