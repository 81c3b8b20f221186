package law

import (
	"fmt"
	"strings"
)

var numeralDigits = map[rune]int{
	'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7,
	'八': 8, '九': 9,
}

var numeralUnits = map[rune]int{'十': 10, '百': 100, '千': 1000}

// ParseNumeral reads a positive article number written in Chinese numerals
// ("八十二", "一千二百六十", "十") or in ASCII digits ("82"). Numbers up to 9,999 are
// accepted, which covers every article of every code.
func ParseNumeral(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("parse numeral: empty")
	}
	if s[0] >= '0' && s[0] <= '9' {
		n := 0
		for _, r := range s {
			if r < '0' || r > '9' || n > 99999 {
				return 0, fmt.Errorf("parse numeral %q: not a number", s)
			}
			n = n*10 + int(r-'0')
		}
		if n == 0 {
			return 0, fmt.Errorf("parse numeral %q: zero", s)
		}
		return n, nil
	}
	total, digit, lastUnit := 0, -1, 10000
	for _, r := range s {
		if d, ok := numeralDigits[r]; ok {
			if digit > 0 {
				return 0, fmt.Errorf("parse numeral %q: two digits in a row", s)
			}
			digit = d
			continue
		}
		u, ok := numeralUnits[r]
		if !ok {
			return 0, fmt.Errorf("parse numeral %q: unexpected %q", s, r)
		}
		if u >= lastUnit {
			return 0, fmt.Errorf("parse numeral %q: units out of order", s)
		}
		if digit <= 0 {
			if digit == 0 || total != 0 || u != 10 {
				return 0, fmt.Errorf("parse numeral %q: unit %q without a digit", s, r)
			}
			digit = 1 // 十二 = 12
		}
		total += digit * u
		digit, lastUnit = -1, u
	}
	if digit > 0 {
		total += digit
	}
	if total == 0 {
		return 0, fmt.Errorf("parse numeral %q: zero", s)
	}
	return total, nil
}

// FormatNumeral writes n (1..9999) in Chinese numerals as statutes number their
// articles: 10 → 十, 82 → 八十二, 105 → 一百零五, 1260 → 一千二百六十.
func FormatNumeral(n int) string {
	if n <= 0 || n > 9999 {
		return fmt.Sprint(n)
	}
	const digits = "零一二三四五六七八九"
	d := []rune(digits)
	var b strings.Builder
	units := []struct {
		v int
		r rune
	}{{1000, '千'}, {100, '百'}, {10, '十'}, {1, 0}}
	zero := false
	for _, u := range units {
		q := n / u.v % 10
		if q == 0 {
			if b.Len() > 0 {
				zero = true
			}
			continue
		}
		if zero {
			b.WriteRune('零')
			zero = false
		}
		if !(u.v == 10 && q == 1 && b.Len() == 0) {
			b.WriteRune(d[q])
		}
		if u.r != 0 {
			b.WriteRune(u.r)
		}
	}
	return b.String()
}
