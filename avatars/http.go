package avatars

import (
	"bytes"
	"crypto/sha256"
	hexenc "encoding/hex"
	"image/png"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Sizes of the images the handler serves.
const (
	PortraitWidth  = 480
	PortraitHeight = 360
	ThumbSide      = 160
)

// Handler serves GET /avatars/{id}.png (the portrait with nameplate) and
// GET /avatars/{id}/thumb.png (a square head-and-shoulders thumbnail). Encoded
// images are cached in memory; responses carry a strong ETag and may be cached
// by browsers for a day. Unknown ids get 404.
type Handler struct {
	lookup func(id int) (Persona, bool)
	opts   Options
	log    *slog.Logger

	mu    sync.Mutex
	cache map[imageKey]*encoded
}

type imageKey struct {
	id    int
	thumb bool
}

type encoded struct {
	once sync.Once
	body []byte
	etag string
	err  error
}

// NewHandler returns a handler that finds personas with lookup. opts applies to
// every avatar it draws.
func NewHandler(lookup func(id int) (Persona, bool), opts Options) *Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{lookup: lookup, opts: opts, log: log, cache: map[imageKey]*encoded{}}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key, ok := parseImagePath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	p, ok := h.lookup(key.id)
	if !ok {
		http.NotFound(w, r)
		return
	}
	e := h.entry(key)
	e.once.Do(func() { e.body, e.etag, e.err = h.encode(p, key.thumb) })
	if e.err != nil {
		h.log.ErrorContext(r.Context(), "avatar image failed", "lawyer_id", key.id, "err", e.err)
		http.Error(w, "avatar unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", e.etag)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(e.body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(e.body)
}

func (h *Handler) entry(k imageKey) *encoded {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.cache[k]
	if !ok {
		e = &encoded{}
		h.cache[k] = e
	}
	return e
}

func (h *Handler) encode(p Persona, thumb bool) ([]byte, string, error) {
	a, err := New(p, h.opts)
	if err != nil {
		return nil, "", err
	}
	im, err := a.Portrait(PortraitWidth, PortraitHeight)
	if thumb {
		im, err = a.Thumbnail(ThumbSide)
	}
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, im); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), `"` + hexenc.EncodeToString(sum[:12]) + `"`, nil
}

// parseImagePath accepts ".../avatars/{id}.png" and ".../avatars/{id}/thumb.png".
func parseImagePath(path string) (imageKey, bool) {
	i := strings.LastIndex(path, "/avatars/")
	if i < 0 {
		return imageKey{}, false
	}
	rest := path[i+len("/avatars/"):]
	var k imageKey
	switch {
	case strings.HasSuffix(rest, "/thumb.png"):
		rest, k.thumb = strings.TrimSuffix(rest, "/thumb.png"), true
	case strings.HasSuffix(rest, ".png"):
		rest = strings.TrimSuffix(rest, ".png")
	default:
		return imageKey{}, false
	}
	id, err := strconv.Atoi(rest)
	if err != nil || id < 0 || strconv.Itoa(id) != rest {
		return imageKey{}, false
	}
	k.id = id
	return k, true
}
