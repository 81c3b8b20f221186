package opus

import (
	"fmt"

	"fayun/media/internal/resample"
)

// RecognitionRate is the sample rate, in Hz, of the frames a Decoder16k produces.
const RecognitionRate = 16000

// RecognitionFrameSamples is the length of one 20 ms frame at 16 kHz.
const RecognitionFrameSamples = RecognitionRate / 50

// Decoder16k decodes Opus packets to 48 kHz and decimates the result to 16 kHz mono behind a
// proper anti-alias low-pass, the form speech recognition wants. It is not safe for concurrent
// use.
type Decoder16k struct {
	dec   *Decoder
	decim *resample.Decimator3
	pcm48 []int16
}

// NewDecoder16k returns a decoder whose output is 16 kHz mono.
func NewDecoder16k() (*Decoder16k, error) {
	dec, err := NewDecoder()
	if err != nil {
		return nil, err
	}
	return &Decoder16k{dec: dec, decim: resample.NewDecimator3(), pcm48: make([]int16, 5760)}, nil
}

// Decode decodes packet and appends its audio at 16 kHz to out. A 20 ms packet yields
// RecognitionFrameSamples samples.
func (d *Decoder16k) Decode(packet []byte, out []int16) ([]int16, error) {
	n, err := d.dec.Decode(packet, d.pcm48)
	if err != nil {
		return out, err
	}
	return d.decim.Process(d.pcm48[:n], out), nil
}

// Conceal appends samples48/3 samples of loss concealment (samples48 counted at 48 kHz, at
// most 5760) to out.
func (d *Decoder16k) Conceal(samples48 int, out []int16) ([]int16, error) {
	if samples48 <= 0 || samples48 > len(d.pcm48) {
		return out, fmt.Errorf("opus conceal: %d samples out of range", samples48)
	}
	n, err := d.dec.Conceal(d.pcm48[:samples48])
	if err != nil {
		return out, err
	}
	return d.decim.Process(d.pcm48[:n], out), nil
}

// Close frees the decoder.
func (d *Decoder16k) Close() { d.dec.Close() }
