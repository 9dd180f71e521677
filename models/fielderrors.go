package models

import "strings"

// MaxFieldErrors bounds how many problems a validation keeps. A request with
// 100,000 bad list items must not produce a 100,000-entry answer: the first
// problems and a count are what a person or a script can act on.
const MaxFieldErrors = 50

// FieldErrors collects one message per field, keyed by the field's path in
// the JSON body (`data.risks[0].probability`). HTML forms name their inputs
// with the same paths, so one collection serves the form and the API. It
// keeps the first MaxFieldErrors fields and counts the rest.
type FieldErrors struct {
	fields map[string]string
	total  int
}

// Add records msg for field unless the field already has a message: the
// first problem found is the one worth showing.
func (f *FieldErrors) Add(field, msg string) {
	field = strings.TrimSuffix(field, ".") // a list item's prefix, "data.objectives[0]."
	if _, ok := f.fields[field]; ok {
		return
	}
	f.total++
	if len(f.fields) >= MaxFieldErrors {
		return
	}
	if f.fields == nil {
		f.fields = map[string]string{}
	}
	f.fields[field] = msg
}

// Has reports whether field already has a message.
func (f *FieldErrors) Has(field string) bool {
	_, ok := f.fields[field]
	return ok
}

// Empty reports whether no problem was found.
func (f *FieldErrors) Empty() bool { return f.total == 0 }

// Total is the number of fields with a problem, kept or not.
func (f *FieldErrors) Total() int { return f.total }

// Map returns the kept messages (at most MaxFieldErrors), nil when empty.
func (f *FieldErrors) Map() map[string]string { return f.fields }
