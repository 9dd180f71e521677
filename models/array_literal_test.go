package models

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The pipeline's array parameters are written straight into bytes; they
// must read as PostgreSQL reads an array literal: every element quoted,
// backslashes and quotes escaped, NULL unquoted.
func TestArrayLiteralsQuoteAndEscape(t *testing.T) {
	s := func(v string) *string { return &v }
	assert.Equal(t, `{}`, arrayLiteral(nil))
	assert.Equal(t, `{"a","b"}`, arrayLiteral([]string{"a", "b"}))
	assert.Equal(t, `{"","x,y","{z}","NULL"}`, arrayLiteral([]string{"", "x,y", "{z}", "NULL"}))
	assert.Equal(t, `{"say \"hi\"","C:\\dir\\","\\\"","Zoë 😀"}`, arrayLiteral([]string{`say "hi"`, `C:\dir\`, `\"`, "Zoë 😀"}))
	v, err := nullableArray{s("a"), nil, s(`q"\`), s("")}.Value()
	assert.NoError(t, err)
	assert.Equal(t, `{"a",NULL,"q\"\\",""}`, v)
	b, err := pgText(nullableArray{nil})
	assert.NoError(t, err)
	assert.Equal(t, `{NULL}`, string(b))
	b, err = pgText(textArray{"1", "2"})
	assert.NoError(t, err)
	assert.Equal(t, `{"1","2"}`, string(b))
	long := strings.Repeat(`ab"\`, 1000)
	assert.Equal(t, `{"`+strings.Repeat(`ab\"\\`, 1000)+`"}`, arrayLiteral([]string{long}))
}

// numbered rewrites GORM's placeholders once per text, and the same every
// time.
func TestNumberedPlaceholders(t *testing.T) {
	q := `UPDATE t SET a = ? WHERE b = ANY(?::uuid[]) AND c = ?`
	for range 3 {
		assert.Equal(t, `UPDATE t SET a = $1 WHERE b = ANY($2::uuid[]) AND c = $3`, numbered(q))
	}
	assert.Equal(t, `SELECT 1`, numbered(`SELECT 1`))
}
