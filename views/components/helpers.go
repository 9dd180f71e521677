package components

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

func templStr(n int) string { return strconv.Itoa(n) }

// Sentence capitalises a message's first letter: the API says "must be a
// date", the form shows "Must be a date".
func Sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
