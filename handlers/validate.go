package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/mail"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"dossier/models"
)

// fieldErrors collects one message per field, keyed by the field's path in
// the JSON body (`data.risks[0].probability`). HTML forms name their inputs
// with the same paths, so one map serves both the form and the API.
type fieldErrors map[string]string

// add records msg for field unless the field already has a message: the
// first problem found is the one worth showing.
func (f fieldErrors) add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// err is nil without problems, else the 422 validation error.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return ValidationError(f)
}

// isJSONRequest reports whether the body is JSON (application/json or any
// +json type), which decides between the JSON API and a form.
func isJSONRequest(c *fiber.Ctx) bool {
	ct := c.Get(fiber.HeaderContentType)
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json")
}

// queryOnce is the query parameter name, "" when absent, or a 422 naming
// it when the URL repeats it (?projectId=a&projectId=b): which one was
// meant cannot be told, and taking the first would drop the other without
// a word.
func queryOnce(c *fiber.Ctx, name string) (string, error) {
	if len(c.Context().QueryArgs().PeekMulti(name)) > 1 {
		return "", ValidationError(map[string]string{name: "is given more than once; send it once"})
	}
	return c.Query(name), nil
}

// speakJSON makes the error handler answer this request with the JSON error
// shape, for routes such as /login that serve both forms and JSON clients.
func speakJSON(c *fiber.Ctx) {
	c.Request().Header.Set(fiber.HeaderAccept, fiber.MIMEApplicationJSON)
}

// decodeJSON decodes the request body into dst, which must point to a struct.
// It insists on Content-Type: application/json.
//   - An empty or malformed body is a 400 bad_request.
//   - A value of the wrong type is a 422 validation_failed whose fields name
//     every offender by path, e.g. {"data.risks[0].probability": "must be an integer"}.
//   - A key an object repeats ({"projectId":"a","projectId":"b"}, or a field
//     named twice in different case) is a 422 naming it: encoding/json
//     would keep the last value and drop the other without a word.
//
// Unknown keys are ignored, as encoding/json does.
func decodeJSON(c *fiber.Ctx, dst any) error {
	if !isJSONRequest(c) {
		return Errorf(fiber.StatusBadRequest, "bad_request", "send the body as JSON with Content-Type: application/json")
	}
	// The bytes as received (c.Body() would unpack a compressed body,
	// which refuseEncodedBodies has already refused).
	return decodeJSONBytes(c.Request().Body(), dst)
}

// refuseEncodedBodies answers 415 to a request that says its body is
// compressed (a Content-Encoding other than identity). Fiber's c.Body()
// unpacks gzip, deflate and brotli bodies whole, with no limit of its own,
// and BODY_LIMIT bounds only the bytes received: a 200 KB gzip of
// repeated bytes, sent to /login without signing in, made the server
// allocate a gigabyte. No client of the app compresses its requests.
func refuseEncodedBodies(c *fiber.Ctx) error {
	enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding))
	if enc == "" || strings.EqualFold(enc, "identity") || len(c.Request().Body()) == 0 {
		return c.Next()
	}
	return Errorf(fiber.StatusUnsupportedMediaType, "unsupported_encoding",
		"compressed request bodies are not accepted: send the body without Content-Encoding")
}

// decodeJSONBytes is decodeJSON for a body that did not come from the
// request itself, such as an uploaded file.
func decodeJSONBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf(fiber.StatusBadRequest, "bad_request", "the body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		// encoding/json would store U+FFFD in place of each bad byte.
		return notUTF8(body)
	}
	// First pass: is it JSON at all? Numbers stay exact, so that 3.5 can be
	// told apart from 3 where an integer is expected.
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return malformed(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(fiber.StatusBadRequest, "bad_request", "malformed JSON: unexpected data after the top-level value")
	}
	// Second pass: does every value have the type dst expects?
	t := reflect.TypeOf(dst).Elem()
	if _, ok := raw.(map[string]any); !ok && t.Kind() == reflect.Struct {
		return &Error{Status: fiber.StatusUnprocessableEntity, Code: "validation_failed", Message: "the body must be a JSON object"}
	}
	if err := loneSurrogate(body); err != nil {
		return err
	}
	var fields models.FieldErrors
	duplicateKeys(body, &fields)
	checkTypes(raw, t, "", &fields)
	if err := validationFailed(&fields); err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		// checkTypes accepted it, so this is a value Go cannot hold, such
		// as a number too large for its field (1e400).
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			e := ValidationError(map[string]string{ute.Field: "is out of range"})
			e.Extra = map[string]any{"fieldCount": 1}
			return e
		}
		return &Error{Status: fiber.StatusUnprocessableEntity, Code: "validation_failed", Message: "a value is out of range: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	return nil
}

// notUTF8 is the error of a JSON body that is not UTF-8: a 422 naming the
// field whose key or value holds the first bad byte, or a 400 when the bad
// byte is outside any string (then the body is not JSON either).
func notUTF8(body []byte) error {
	bad := 0
	for bad < len(body) {
		r, size := utf8.DecodeRune(body[bad:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		bad += size
	}
	if field, ok := stringAt(body, func(start, end int64) bool { return start <= int64(bad) && end > int64(bad) }); ok {
		return ValidationError(map[string]string{field: "must be UTF-8 text"})
	}
	return Errorf(fiber.StatusBadRequest, "bad_request", "malformed JSON: the body is not UTF-8 at byte %d", bad)
}

// loneSurrogate is the error of a JSON body that escapes a lone UTF-16
// surrogate (\ud800 without its pair), which encoding/json would turn into
// U+FFFD without a word: a 422 naming the field that holds it, as for
// bytes that are not UTF-8. nil when there is none.
func loneSurrogate(body []byte) error {
	if !hasLoneSurrogate(body) {
		return nil
	}
	field, ok := stringAt(body, func(start, end int64) bool {
		token := body[start:]
		return hasLoneSurrogate(token[:end-start])
	})
	if !ok {
		field = "body"
	}
	return ValidationError(map[string]string{field: "must be valid Unicode text: it escapes a lone UTF-16 surrogate (such as \\ud800 without its pair)"})
}

// jsonStep is one open level of a JSON text being read: the member of an
// object (its key) or the element of an array (its index).
type jsonStep struct {
	object bool
	key    []byte
	index  int
}

func (s jsonStep) step() jsonStep { return s }

// jsonPath names the position the open levels point at, as validation
// names fields: "data.risks[1].title" ("" at the top).
func jsonPath[L interface{ step() jsonStep }](stack []L) string {
	var sb strings.Builder
	for _, l := range stack {
		if s := l.step(); s.object {
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.Write(s.key)
		} else {
			fmt.Fprintf(&sb, "[%d]", s.index)
		}
	}
	return sb.String()
}

// stringAt walks a JSON text's tokens and returns the path of the first
// string (a key or a value) whose bytes (from start to end, with what
// leads up to it) match: "data.risks[1].title", "body" for a top-level string.
// It reads as far as the text is JSON.
func stringAt(body []byte, match func(start, end int64) bool) (string, bool) {
	type level struct {
		jsonStep
		wait bool // an object waits for a key
	}
	var stack []level
	path := func() string { return cmp.Or(jsonPath(stack), "body") }
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		top := len(stack) - 1
		awaitsKey := top >= 0 && stack[top].object && stack[top].wait
		if str, isString := tok.(string); isString && match(start, dec.InputOffset()) {
			if awaitsKey {
				stack[top].key = []byte(str) // the key itself
			}
			return path(), true
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, level{jsonStep: jsonStep{object: true}, wait: true})
				continue
			case '[':
				stack = append(stack, level{})
				continue
			default:
				stack = stack[:top]
				top--
			}
		case string:
			if awaitsKey {
				stack[top].key, stack[top].wait = []byte(v), false
				continue
			}
		}
		// A value ended: its object waits for the next key, its array
		// moves to the next element.
		if top >= 0 {
			if stack[top].object {
				stack[top].wait = true
			} else {
				stack[top].index++
			}
		}
	}
}

// duplicateKeys records, under its path ("data.risks[0].owner"), each key
// that an object of a JSON text repeats: encoding/json keeps the last
// value and drops the others without a word. Keys are compared as decoded
// ("a" and "\u0061" are one key). It reads the bytes once, for a text
// already known to be JSON, and allocates only for keys with escapes.
func duplicateKeys(body []byte, fields *models.FieldErrors) {
	type level struct {
		jsonStep
		first int                 // where the object's keys start in keys
		seen  map[string]struct{} // its keys, once it has many
	}
	const linear = 16 // keys searched one by one before a map pays off
	var (
		stack     []level
		keys      [][]byte // the keys of the open objects, innermost last
		expectKey bool
	)
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{':
			stack = append(stack, level{jsonStep: jsonStep{object: true}, first: len(keys)})
			expectKey = true
		case '[':
			stack = append(stack, level{})
			expectKey = false
		case '}', ']':
			top := len(stack) - 1
			if top < 0 {
				return // not JSON: the first pass says so
			}
			if stack[top].object {
				keys = keys[:stack[top].first]
			}
			stack = stack[:top]
		case ',':
			if top := len(stack) - 1; top >= 0 {
				if stack[top].object {
					expectKey = true
				} else {
					stack[top].index++
				}
			}
		case '"':
			rest := body[i:]
			n := stringLen(rest)
			if n < 0 {
				return
			}
			top := len(stack) - 1
			if expectKey && top >= 0 && stack[top].object {
				expectKey = false
				key := rest[:n]
				if bytes.IndexByte(key, '\\') >= 0 {
					var k string
					if json.Unmarshal(key, &k) != nil {
						return
					}
					key = []byte(k)
				} else {
					inner := key[1:]
					key = inner[:n-2] // without the quotes
				}
				l := &stack[top]
				l.key = key
				open := keys[l.first:]
				dup := false
				if l.seen != nil {
					_, dup = l.seen[string(key)]
				} else {
					for _, k := range open {
						if bytes.Equal(k, key) {
							dup = true
							break
						}
					}
				}
				if dup {
					fields.Add(jsonPath(stack), "is given more than once in its object; send each key once")
				}
				if l.seen == nil && len(open) >= linear {
					l.seen = make(map[string]struct{}, 2*linear)
					for _, k := range open {
						l.seen[string(k)] = struct{}{}
					}
				}
				if l.seen != nil {
					l.seen[string(key)] = struct{}{}
				}
				keys = append(keys, key)
			}
			i += n - 1
		}
	}
}

// stringLen is the length of the JSON string at the start of b, quotes
// included, or -1 when it does not end.
func stringLen(b []byte) int {
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // the escaped byte, a quote among them
		case '"':
			return i + 1
		}
	}
	return -1
}

func malformed(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return Errorf(fiber.StatusBadRequest, "bad_request", "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return Errorf(fiber.StatusBadRequest, "bad_request", "malformed JSON: the body ends too early")
	}
	return Errorf(fiber.StatusBadRequest, "bad_request", "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// validationFailed is nil without problems, else the 422 validation error
// with the first models.MaxFieldErrors fields and the total count.
func validationFailed(fe *models.FieldErrors) error {
	if fe.Empty() {
		return nil
	}
	e := ValidationError(fe.Map())
	e.Extra = map[string]any{"fieldCount": fe.Total()}
	if fe.Total() > len(fe.Map()) {
		e.Message = fmt.Sprintf("%d fields are invalid; the first %d are listed", fe.Total(), len(fe.Map()))
	}
	return e
}

// stringForm is a struct type that also accepts a plain JSON string, such as
// an objective without links.
var stringForm = reflect.TypeFor[interface{ AcceptsString() }]()

// checkTypes walks a decoded JSON value alongside the Go type it will be
// decoded into, and records every mismatch under its path. null is refused
// (encoding/json would leave the zero value: "objectives": null read as no
// objectives, "name": null as a missing name, a null in a list as a blank
// item) except for a struct field tagged `null:"ok"`, whose contract gives
// null a meaning. A string with a NUL character is refused everywhere:
// PostgreSQL cannot store it.
func checkTypes(v any, t reflect.Type, path string, fields *models.FieldErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := path
	if name == "" {
		name = "body"
	}
	if v == nil {
		fields.Add(name, "must be "+jsonKind(t)+", not null")
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if str, ok := v.(string); ok && t.Implements(stringForm) {
			checkTypes(str, reflect.TypeFor[string](), path, fields)
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			fields.Add(name, "must be an object")
			return
		}
		// encoding/json fills a field from a key of any case: two keys
		// that differ in case alone ("projectId", "projectid") set one
		// field, and the last would win without a word.
		var named map[string][]string // field → the keys naming it
		for key, val := range m {
			if f, ok := jsonField(t, key); ok {
				if len(m) > 1 {
					if named == nil {
						named = make(map[string][]string, len(m))
					}
					named[f.name] = append(named[f.name], key)
				}
				if val == nil && f.nullable {
					continue
				}
				checkTypes(val, f.typ, joinPath(path, f.name), fields)
			}
		}
		for field, keys := range named {
			if len(keys) > 1 {
				slices.Sort(keys)
				fields.Add(joinPath(path, field), fmt.Sprintf("is given more than once, as %s; send it once", quoteList(keys)))
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			fields.Add(name, "must be an object")
			return
		}
		for key, val := range m {
			checkTypes(val, t.Elem(), joinPath(path, key), fields)
		}
	case reflect.Slice, reflect.Array:
		arr, ok := v.([]any)
		if !ok {
			fields.Add(name, "must be an array")
			return
		}
		for i, val := range arr {
			checkTypes(val, t.Elem(), path+"["+strconv.Itoa(i)+"]", fields)
		}
	case reflect.String:
		s, ok := v.(string)
		switch {
		case !ok:
			fields.Add(name, "must be a string")
		case strings.IndexByte(s, 0) >= 0:
			fields.Add(name, "must not contain a NUL character")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			fields.Add(name, "must be true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			fields.Add(name, "must be an integer")
			return
		}
		if _, err := n.Int64(); err != nil {
			fields.Add(name, "must be an integer")
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			fields.Add(name, "must be a number")
			return
		}
		if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
			fields.Add(name, "is out of range")
		}
	}
}

// hasLoneSurrogate reports whether a JSON text escapes a UTF-16 surrogate
// that is not part of a pair (\ud800 alone, or \udc00 first). Call it on
// valid JSON: a backslash appears only in strings, each starting an escape.
func hasLoneSurrogate(body []byte) bool {
	if !bytes.Contains(body, []byte(`\u`)) {
		return false
	}
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(body) || body[i] != '\\' || body[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(body[i+2:i+6]), 16, 32)
		return rune(n), err == nil
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' || i+1 >= len(body) {
			continue
		}
		if body[i+1] != 'u' {
			i++ // \\, \" and the like: the next byte is not an escape
			continue
		}
		r, ok := hex4(i)
		if !ok {
			continue
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if lo, ok := hex4(i + 6); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				i += 11 // the pair
				continue
			}
			return true
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		}
		i += 5
	}
	return false
}

// quoteList is ["a", "b"] as `"a" and "b"`, and longer lists as `"a", "b" and "c"`.
func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	last := len(q) - 1
	return strings.Join(q[:last], ", ") + " and " + q[last]
}

type fieldInfo struct {
	name     string
	typ      reflect.Type
	nullable bool // tagged `null:"ok"`: null is a value of its own (priority: null is normal)
}

// jsonKind names what a JSON value for t must be, for a message.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		if t.Implements(stringForm) {
			return "a string or an object"
		}
		return "an object"
	case reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value"
}

// jsonField finds the struct field encoding/json would decode key into: an
// exact match on the JSON name first, then a case-insensitive one.
func jsonField(t reflect.Type, key string) (fieldInfo, bool) {
	var folded *fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			tagName, _, _ := strings.Cut(tag, ",")
			if tagName == "-" {
				continue
			}
			if tagName != "" {
				name = tagName
			}
		}
		nullable := f.Tag.Get("null") == "ok"
		if name == key {
			return fieldInfo{name: name, typ: f.Type, nullable: nullable}, true
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = &fieldInfo{name: name, typ: f.Type, nullable: nullable}
		}
	}
	if folded != nil {
		return *folded, true
	}
	return fieldInfo{}, false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// ---- Single values ----------------------------------------------------------

// validEmail accepts a bare address such as ada@example.com.
func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".")
}

// isoDate parses an ISO 8601 calendar date (2027-01-04).
func isoDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// tooLong reports whether s has more than n characters.
func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// storableText reports whether PostgreSQL can store s as text: valid UTF-8
// without NUL characters.
func storableText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// lines splits a textarea into its non-blank, trimmed lines.
func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// localPath returns next if it is a path on this site, else "/": a login
// must never redirect to another origin.
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n\t\\") {
		return "/"
	}
	return next
}
