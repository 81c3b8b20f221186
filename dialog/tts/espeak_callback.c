// C side of the eSpeak NG synthesis callback: it hands every buffer to Go.
#include <espeak-ng/speak_lib.h>

extern int fayunGoSynthChunk(short *wav, int n, espeak_EVENT *events);

int fayunSynthCallback(short *wav, int n, espeak_EVENT *events) {
	return fayunGoSynthChunk(wav, n, events);
}
