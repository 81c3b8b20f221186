package tts

import "fmt"

// voiceStride is prime and shares no factor with the number of voice combinations
// (powers of 2 and 7).
const voiceStride = 617

// Voice says how a lawyer's avatar sounds. Engines use the fields they understand.
type Voice struct {
	Lang   string // "zh" (Mandarin) or "en"
	Gender string // "female" or "male"

	// ESpeakName is the eSpeak NG voice ("en-us", "cmn-latn-pinyin") and
	// ESpeakVariant its variant ("f2", "m3"; "" for the voice's own).
	ESpeakName    string
	ESpeakVariant string
	Rate          int // eSpeak words per minute, 80–450; 175 is eSpeak's normal
	Pitch         int // eSpeak base pitch 0–100; 50 is normal
	Range         int // eSpeak pitch range 0–100; 0 is monotone, 50 normal

	// OpenAIName is the voice for OpenAI-compatible engines ("nova", "onyx", …) and
	// Speed their speed factor (1 is normal).
	OpenAIName string
	Speed      float64
}

// String describes v for logs and the CLI.
func (v Voice) String() string {
	return fmt.Sprintf("%s %s espeak=%s+%s rate=%d pitch=%d range=%d openai=%s×%.2f",
		v.Lang, v.Gender, v.ESpeakName, v.ESpeakVariant, v.Rate, v.Pitch, v.Range,
		v.OpenAIName, v.Speed)
}

// eSpeak voice per language. Mandarin needs cmn-latn-pinyin: it reads Hanzi as
// Mandarin syllables with tones, while "cmn" on Debian 12 reads them out as pinyin
// letters and tone digits in English (see docs/speech.md).
var espeakVoiceByLang = map[string]string{"zh": "cmn-latn-pinyin", "en": "en-us"}

// Variants of eSpeak NG 1.51 that sound natural enough for a lawyer. The novelty ones
// (croak, whisper, robots) are left out, and so are f4, m8 and the breathy Annie,
// belinda and linda: PocketSphinx misrecognised most of what they said (measured in
// docs/speech.md), a sign that callers on a poor line would struggle too.
var (
	femaleVariants = []string{"f1", "f2", "f3", "f5"}
	maleVariants   = []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7"}
	femaleOpenAI   = []string{"nova", "shimmer", "alloy", "coral", "sage"}
	maleOpenAI     = []string{"onyx", "echo", "fable", "ash", "verse"}
)

// VoiceFor returns the voice of lawyer lawyerID speaking lang ("zh" or "en"; other
// values give "en"). gender is "female" or "male" (anything else is treated as
// female). The choice is deterministic: the same lawyer always sounds the same,
// and neighbouring IDs differ in variant, pitch and rate, all kept within natural
// ranges (rate 150–180 wpm, pitch 35–70, range 40–70).
func VoiceFor(lawyerID int, gender, lang string) Voice {
	if lang != "zh" {
		lang = "en"
	}
	if gender != "male" {
		gender = "female"
	}
	variants, openai, pitchBase := femaleVariants, femaleOpenAI, 48 // pitch 48–69
	if gender == "male" {
		variants, openai, pitchBase = maleVariants, maleOpenAI, 35 // pitch 35–56
	}
	// Number the combinations of variant × 8 pitches × 7 rates × 7 ranges and walk
	// them with a stride coprime to their count: every lawyer of a gender gets a
	// different combination (up to 1,568 women and 2,744 men), and neighbouring IDs
	// land far apart.
	const pitches, rates, ranges = 8, 7, 7
	n := len(variants) * pitches * rates * ranges
	k := (max(lawyerID, 0)*voiceStride + 101) % n
	next := func(m int) int { d := k % m; k /= m; return d }
	v := Voice{
		Lang:          lang,
		Gender:        gender,
		ESpeakName:    espeakVoiceByLang[lang],
		ESpeakVariant: variants[next(len(variants))],
		Pitch:         pitchBase + 3*next(pitches),
		Rate:          150 + 5*next(rates), // 150–180
		Range:         40 + 5*next(ranges), // 40–70
		OpenAIName:    openai[lawyerID%len(openai)],
	}
	if lang == "zh" {
		v.Rate -= 10 // eSpeak's Mandarin syllables run fast at English word rates
	}
	v.Speed = float64(v.Rate) / 170
	return v
}

// DefaultVoice is the voice used when no lawyer is named.
func DefaultVoice(lang string) Voice {
	v := VoiceFor(0, "female", lang)
	v.ESpeakVariant, v.Rate, v.Pitch, v.Range, v.Speed = "f2", 165, 55, 50, 1
	if lang == "zh" {
		v.Rate = 155
	}
	return v
}
