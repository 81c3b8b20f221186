// Package vpx wraps libvpx's VP8 encoder and decoder (through cgo) for the avatar's video:
// the encoder runs in real-time mode (fixed speed, constant bitrate, error resilient, no
// look-ahead) and takes I420 frames as *image.YCbCr; the decoder exists so that tests and
// tools can prove a stream decodes. It knows nothing of RTP.
package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

typedef struct {
	const void *buf;
	size_t sz;
	int key;
	int err;
	int extra;
} fy_out;

static int fy_enc_init(vpx_codec_ctx_t *ctx, int w, int h, int fps, int kbps, int threads,
		int kf_max, int cpu_used) {
	vpx_codec_enc_cfg_t cfg;
	vpx_codec_err_t err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0);
	if (err) return err;
	cfg.g_w = w;
	cfg.g_h = h;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = fps;
	cfg.g_threads = threads;
	cfg.g_pass = VPX_RC_ONE_PASS;
	cfg.g_lag_in_frames = 0;
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_target_bitrate = kbps;
	cfg.rc_dropframe_thresh = 0;
	cfg.rc_min_quantizer = 4;
	cfg.rc_max_quantizer = 56;
	cfg.rc_undershoot_pct = 95;
	cfg.rc_overshoot_pct = 25;
	cfg.rc_buf_sz = 1000;
	cfg.rc_buf_initial_sz = 500;
	cfg.rc_buf_optimal_sz = 600;
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_min_dist = 0;
	cfg.kf_max_dist = kf_max;
	err = vpx_codec_enc_init(ctx, vpx_codec_vp8_cx(), &cfg, 0);
	if (err) return err;
	err = vpx_codec_control(ctx, VP8E_SET_CPUUSED, cpu_used);
	if (err) return err;
	err = vpx_codec_control(ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	if (err) return err;
	err = vpx_codec_control(ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	if (err) return err;
	if (threads > 1) {
		err = vpx_codec_control(ctx, VP8E_SET_TOKEN_PARTITIONS, VP8_TWO_TOKENPARTITION);
	}
	return err;
}

static int fy_enc_set_bitrate(vpx_codec_ctx_t *ctx, int kbps) {
	vpx_codec_enc_cfg_t cfg = *ctx->config.enc;
	cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(ctx, &cfg);
}

static fy_out fy_encode(vpx_codec_ctx_t *ctx, int w, int h,
		unsigned char *y, int ys, unsigned char *u, int us, unsigned char *v, int vs,
		long long pts, int force_kf) {
	fy_out out;
	memset(&out, 0, sizeof out);
	vpx_image_t img;
	if (!vpx_img_wrap(&img, VPX_IMG_FMT_I420, w, h, 1, y)) {
		out.err = VPX_CODEC_INVALID_PARAM;
		return out;
	}
	img.planes[VPX_PLANE_Y] = y;
	img.planes[VPX_PLANE_U] = u;
	img.planes[VPX_PLANE_V] = v;
	img.stride[VPX_PLANE_Y] = ys;
	img.stride[VPX_PLANE_U] = us;
	img.stride[VPX_PLANE_V] = vs;
	vpx_enc_frame_flags_t flags = force_kf ? VPX_EFLAG_FORCE_KF : 0;
	out.err = vpx_codec_encode(ctx, &img, pts, 1, flags, VPX_DL_REALTIME);
	if (out.err) return out;
	vpx_codec_iter_t iter = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(ctx, &iter)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		if (out.buf) { out.extra++; continue; }
		out.buf = pkt->data.frame.buf;
		out.sz = pkt->data.frame.sz;
		out.key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
	}
	return out;
}

static int fy_dec_init(vpx_codec_ctx_t *ctx) {
	return vpx_codec_dec_init(ctx, vpx_codec_vp8_dx(), NULL, 0);
}

static vpx_image_t *fy_decode(vpx_codec_ctx_t *ctx, const unsigned char *data, size_t n, int *err) {
	*err = vpx_codec_decode(ctx, data, n, NULL, 0);
	if (*err) return NULL;
	vpx_codec_iter_t iter = NULL;
	vpx_image_t *img = NULL, *next;
	while ((next = vpx_codec_get_frame(ctx, &iter)) != NULL) img = next;
	return img;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"unsafe"
)

// ErrClosed is returned by methods of an encoder or decoder after Close.
var ErrClosed = errors.New("vpx: closed")

// ErrFrameFormat is returned when a frame is not I420 of the encoder's size with its
// rectangle at the origin.
var ErrFrameFormat = errors.New("vpx: frame is not I420 of the configured size")

// EncoderConfig configures an Encoder. Zero values select the defaults given per field.
type EncoderConfig struct {
	// Width and Height of every frame in pixels; both even. Required.
	Width, Height int
	// FPS is the frame rate, used as the encoder's time base. Default 25.
	FPS int
	// BitrateKbps is the constant target bitrate. Default 500.
	BitrateKbps int
	// Threads is the number of encoder threads. Default 1 (one core per call is plenty
	// at 480×360; a second thread saves about 15 % at 640×480).
	Threads int
	// KeyframeInterval is the most frames between automatic keyframes. Default 0: keyframes
	// come only when forced (first frame, ForceKeyframe) plus one every 3000 frames.
	KeyframeInterval int
	// CPUUsed is libvpx's VP8E_SET_CPUUSED speed setting, -16..16. Default -8. Negative values
	// fix the speed; positive values let libvpx adapt, which in real-time mode is slower.
	CPUUsed int
}

func (c *EncoderConfig) defaults() error {
	if c.Width <= 0 || c.Height <= 0 || c.Width%2 != 0 || c.Height%2 != 0 {
		return fmt.Errorf("vpx: size %dx%d must be positive and even", c.Width, c.Height)
	}
	if c.FPS == 0 {
		c.FPS = 25
	}
	if c.BitrateKbps == 0 {
		c.BitrateKbps = 500
	}
	if c.Threads == 0 {
		c.Threads = 1
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = 3000
	}
	if c.CPUUsed == 0 {
		c.CPUUsed = -8
	}
	if c.CPUUsed < -16 || c.CPUUsed > 16 {
		return fmt.Errorf("vpx: cpu used %d out of -16..16", c.CPUUsed)
	}
	return nil
}

func codecError(ctx *C.vpx_codec_ctx_t, code C.int) string {
	msg := C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(code)))
	if ctx != nil {
		if d := C.vpx_codec_error_detail(ctx); d != nil {
			msg += ": " + C.GoString(d)
		}
	}
	return msg
}

// Frame is one encoded VP8 frame. Data points into a buffer the Encoder reuses: it is valid
// until the next Encode or Close.
type Frame struct {
	Data     []byte
	Keyframe bool
}

// Encoder is a real-time VP8 encoder. It is not safe for concurrent use, except
// ForceKeyframe, which may be called from any goroutine.
type Encoder struct {
	ctx     *C.vpx_codec_ctx_t
	cfg     EncoderConfig
	pts     int64
	out     []byte
	forceKF chan struct{}
	cleanup runtime.Cleanup
}

// NewEncoder returns a VP8 encoder configured by cfg.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	if err := cfg.defaults(); err != nil {
		return nil, fmt.Errorf("vpx new encoder: %w", err)
	}
	ctx := (*C.vpx_codec_ctx_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.vpx_codec_ctx_t{}))))
	if ctx == nil {
		return nil, errors.New("vpx new encoder: out of memory")
	}
	rc := C.fy_enc_init(ctx, C.int(cfg.Width), C.int(cfg.Height), C.int(cfg.FPS),
		C.int(cfg.BitrateKbps), C.int(cfg.Threads), C.int(cfg.KeyframeInterval), C.int(cfg.CPUUsed))
	if rc != 0 {
		msg := codecError(ctx, rc)
		C.vpx_codec_destroy(ctx)
		C.free(unsafe.Pointer(ctx))
		return nil, fmt.Errorf("vpx new encoder: %s", msg)
	}
	e := &Encoder{ctx: ctx, cfg: cfg, forceKF: make(chan struct{}, 1)}
	e.cleanup = runtime.AddCleanup(e, destroyCtx, ctx)
	return e, nil
}

func destroyCtx(ctx *C.vpx_codec_ctx_t) {
	C.vpx_codec_destroy(ctx)
	C.free(unsafe.Pointer(ctx))
}

// Config returns the encoder's configuration with defaults filled in.
func (e *Encoder) Config() EncoderConfig { return e.cfg }

// ForceKeyframe makes the next encoded frame a keyframe. It is safe to call from any
// goroutine (an RTCP reader handling a picture loss indication, say).
func (e *Encoder) ForceKeyframe() {
	select {
	case e.forceKF <- struct{}{}:
	default:
	}
}

// SetBitrate changes the target bitrate.
func (e *Encoder) SetBitrate(kbps int) error {
	if e.ctx == nil {
		return ErrClosed
	}
	if rc := C.fy_enc_set_bitrate(e.ctx, C.int(kbps)); rc != 0 {
		return fmt.Errorf("vpx set bitrate %d: %s", kbps, codecError(e.ctx, rc))
	}
	e.cfg.BitrateKbps = kbps
	return nil
}

// NewFrame returns an I420 image of the encoder's size, for callers that want one buffer to
// draw into and reuse.
func (e *Encoder) NewFrame() *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, e.cfg.Width, e.cfg.Height), image.YCbCrSubsampleRatio420)
}

// Encode encodes img (I420, the configured size, rectangle at the origin). The returned frame
// has no data when libvpx dropped the frame. libvpx copies the picture before returning, so
// img may be reused at once.
func (e *Encoder) Encode(img *image.YCbCr) (Frame, error) {
	if e.ctx == nil {
		return Frame{}, ErrClosed
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 || img.Rect.Min != (image.Point{}) ||
		img.Rect.Dx() != e.cfg.Width || img.Rect.Dy() != e.cfg.Height ||
		len(img.Y) == 0 || len(img.Cb) == 0 || len(img.Cr) == 0 {
		return Frame{}, ErrFrameFormat
	}
	force := 0
	select {
	case <-e.forceKF:
		force = 1
	default:
	}
	if e.pts == 0 {
		force = 1
	}
	res := C.fy_encode(e.ctx, C.int(e.cfg.Width), C.int(e.cfg.Height),
		(*C.uchar)(unsafe.Pointer(&img.Y[0])), C.int(img.YStride),
		(*C.uchar)(unsafe.Pointer(&img.Cb[0])), C.int(img.CStride),
		(*C.uchar)(unsafe.Pointer(&img.Cr[0])), C.int(img.CStride),
		C.longlong(e.pts), C.int(force))
	e.pts++
	if res.err != 0 {
		return Frame{}, fmt.Errorf("vpx encode: %s", codecError(e.ctx, res.err))
	}
	if res.buf == nil || res.sz == 0 {
		return Frame{}, nil
	}
	n := int(res.sz)
	if cap(e.out) < n {
		e.out = make([]byte, n+n/2)
	}
	e.out = e.out[:n]
	copy(e.out, unsafe.Slice((*byte)(res.buf), n))
	return Frame{Data: e.out, Keyframe: res.key != 0}, nil
}

// Close frees the encoder. It is safe to call more than once.
func (e *Encoder) Close() {
	if e.ctx == nil {
		return
	}
	e.cleanup.Stop()
	destroyCtx(e.ctx)
	e.ctx = nil
}

// Decoder decodes VP8 frames into an I420 image it reuses. It is not safe for concurrent use.
type Decoder struct {
	ctx     *C.vpx_codec_ctx_t
	img     *image.YCbCr
	cleanup runtime.Cleanup
}

// NewDecoder returns a VP8 decoder.
func NewDecoder() (*Decoder, error) {
	ctx := (*C.vpx_codec_ctx_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.vpx_codec_ctx_t{}))))
	if ctx == nil {
		return nil, errors.New("vpx new decoder: out of memory")
	}
	if rc := C.fy_dec_init(ctx); rc != 0 {
		C.free(unsafe.Pointer(ctx))
		return nil, fmt.Errorf("vpx new decoder: %s", codecError(nil, rc))
	}
	d := &Decoder{ctx: ctx}
	d.cleanup = runtime.AddCleanup(d, destroyCtx, ctx)
	return d, nil
}

// Decode decodes one complete VP8 frame and returns the picture, or nil when the frame
// produced none. The image is reused by the next Decode.
func (d *Decoder) Decode(frame []byte) (*image.YCbCr, error) {
	if d.ctx == nil {
		return nil, ErrClosed
	}
	if len(frame) == 0 {
		return nil, errors.New("vpx decode: empty frame")
	}
	var code C.int
	vimg := C.fy_decode(d.ctx, (*C.uchar)(unsafe.Pointer(&frame[0])), C.size_t(len(frame)), &code)
	if code != 0 {
		return nil, fmt.Errorf("vpx decode: %s", codecError(d.ctx, code))
	}
	if vimg == nil {
		return nil, nil
	}
	if vimg.fmt != C.VPX_IMG_FMT_I420 {
		return nil, fmt.Errorf("vpx decode: unexpected image format %d", int(vimg.fmt))
	}
	w, h := int(vimg.d_w), int(vimg.d_h)
	if d.img == nil || d.img.Rect.Dx() != w || d.img.Rect.Dy() != h {
		d.img = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	copyPlane(d.img.Y, d.img.YStride, vimg.planes[0], int(vimg.stride[0]), w, h)
	cw, ch := (w+1)/2, (h+1)/2
	copyPlane(d.img.Cb, d.img.CStride, vimg.planes[1], int(vimg.stride[1]), cw, ch)
	copyPlane(d.img.Cr, d.img.CStride, vimg.planes[2], int(vimg.stride[2]), cw, ch)
	return d.img, nil
}

func copyPlane(dst []byte, dstStride int, src *C.uchar, srcStride, w, h int) {
	all := unsafe.Slice((*byte)(unsafe.Pointer(src)), srcStride*(h-1)+w)
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], all[y*srcStride:y*srcStride+w])
	}
}

// Close frees the decoder. It is safe to call more than once.
func (d *Decoder) Close() {
	if d.ctx == nil {
		return
	}
	d.cleanup.Stop()
	destroyCtx(d.ctx)
	d.ctx = nil
}
