package layouts

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

func initial(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "?"
	}
	r, _ := utf8.DecodeRuneInString(name)
	return string(r)
}

func unread(n int) string {
	if n > 99 {
		return "99+"
	}
	return strconv.Itoa(n)
}

func itoa(n int) string { return strconv.Itoa(n) }

// unreadText is the bell's count for a screen reader, after the link's
// "Notifications".
func unreadText(n int) string { return "(" + strconv.Itoa(n) + " unread)" }

// accountMenuLabel names the user menu's button for a screen reader, which
// otherwise hears only "button" (a phone hides the name, and the initial
// alone says nothing): "Account menu (Ada Lovelace)".
func accountMenuLabel(name string) string {
	if name = strings.TrimSpace(name); name == "" {
		return "Account menu"
	}
	return "Account menu (" + name + ")"
}
