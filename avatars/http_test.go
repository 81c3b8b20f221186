package avatars

import (
	"bytes"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	ps := testPersonas(5)
	h := NewHandler(func(id int) (Persona, bool) {
		if id < 1 || id > len(ps) {
			return Persona{}, false
		}
		return ps[id-1], true
	}, Options{})
	get := func(path, etag string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct {
		path string
		w, h int
	}{{"/avatars/3.png", PortraitWidth, PortraitHeight}, {"/avatars/3/thumb.png", ThumbSide, ThumbSide}} {
		rec := get(tc.path, "")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %d %s", tc.path, rec.Code, rec.Header().Get("Content-Type"))
		}
		im, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if b := im.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: %v", tc.path, b)
		}
		etag := rec.Header().Get("ETag")
		if etag == "" || rec.Header().Get("Cache-Control") == "" {
			t.Errorf("%s: missing cache headers", tc.path)
		}
		if again := get(tc.path, ""); !bytes.Equal(again.Body.Bytes(), rec.Body.Bytes()) {
			t.Errorf("%s: body changed between requests", tc.path)
		}
		if rec := get(tc.path, etag); rec.Code != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d", tc.path, rec.Code)
		}
	}
	for _, p := range []string{"/avatars/99.png", "/avatars/0.png", "/avatars/x.png",
		"/avatars/3.jpg", "/avatars/03.png", "/avatars/3/big.png", "/avatars/-1.png"} {
		if rec := get(p, ""); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
}
