package handlers

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/views/pages"
)

// OpenAPI is the API's contract, kept by hand next to the handlers it
// describes. Handler tests validate every JSON response against it.
//
//go:embed openapi.json
var OpenAPI []byte

// APIDocRoutes registers the contract and its readable page. Both are
// public: they describe the API, they hold no data.
func (s *Server) APIDocRoutes(r fiber.Router) {
	r.Get("/api/openapi.json", s.openAPIDocument)
	r.Get("/api/docs", s.apiDocsPage)
}

func (s *Server) openAPIDocument(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(OpenAPI)
}

func (s *Server) apiDocsPage(c *fiber.Ctx) error {
	vm, err := apiDocsVM(OpenAPI)
	if err != nil {
		return err
	}
	return render(c, pages.APIDocs(vm))
}

// The subset of OpenAPI 3.1 that the page shows.
type oaDoc struct {
	Info struct {
		Title, Version, Description string
	}
	Paths      map[string]map[string]oaOperation
	Components struct {
		Schemas   map[string]oaSchema
		Responses map[string]oaResponse
	}
}

type oaOperation struct {
	Summary, Description, OperationID string
	Tags                              []string
	Parameters                        []struct {
		Name, In, Description string
		Required              bool
		Schema                oaSchema
	}
	RequestBody *struct {
		Content map[string]struct{ Schema oaSchema }
	}
	Responses map[string]oaResponse
}

type oaResponse struct {
	Ref         string `json:"$ref"`
	Description string
	Content     map[string]struct{ Schema oaSchema }
}

type oaSchema struct {
	Ref         string `json:"$ref"`
	Type        any
	Format      string
	Description string
	Enum        []any
	Items       *oaSchema
	Properties  map[string]oaSchema
	Required    []string
	OneOf       []oaSchema
	AllOf       []oaSchema
}

// typeText describes a schema in a few words: "string (date-time) or null",
// "array of Job", "Project".
func (s oaSchema) typeText() string {
	if s.Ref != "" {
		return refName(s.Ref)
	}
	if alts := s.OneOf; len(alts) > 0 {
		parts := make([]string, len(alts))
		for i, a := range alts {
			parts[i] = a.typeText()
		}
		return strings.Join(parts, " or ")
	}
	if len(s.AllOf) > 0 && s.Type == nil {
		parts := make([]string, len(s.AllOf))
		for i, a := range s.AllOf {
			parts[i] = a.typeText()
		}
		return strings.Join(parts, " and ")
	}
	var types []string
	switch t := s.Type.(type) {
	case string:
		types = []string{t}
	case []any:
		for _, v := range t {
			types = append(types, fmt.Sprint(v))
		}
	}
	for i, t := range types {
		switch {
		case t == "array" && s.Items != nil:
			types[i] = "array of " + s.Items.typeText()
		case t != "null" && s.Format != "":
			types[i] = t + " (" + s.Format + ")"
		}
	}
	text := strings.Join(types, " or ")
	if len(s.Enum) > 0 {
		var vals []string
		for _, v := range s.Enum {
			vals = append(vals, fmt.Sprint(v))
		}
		text += ": " + strings.Join(vals, ", ")
	}
	if text == "" {
		return "any"
	}
	return text
}

func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

var methodOrder = []string{"get", "post", "put", "patch", "delete"}

// apiDocsVM shapes the document for the page: operations by tag, in the
// document's path order, and every schema with its properties.
func apiDocsVM(raw []byte) (pages.APIDocsVM, error) {
	var d oaDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return pages.APIDocsVM{}, fmt.Errorf("api docs: %w", err)
	}
	vm := pages.APIDocsVM{Title: d.Info.Title, Version: d.Info.Version, Description: d.Info.Description}
	paths := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	groups := map[string]*pages.APITagVM{}
	var tagOrder []string
	for _, p := range paths {
		for _, m := range methodOrder {
			op, ok := d.Paths[p][m]
			if !ok {
				continue
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g := groups[tag]
			if g == nil {
				g = &pages.APITagVM{Name: tag}
				groups[tag] = g
				tagOrder = append(tagOrder, tag)
			}
			o := pages.APIOperationVM{Method: strings.ToUpper(m), Path: p, Summary: op.Summary, Description: op.Description, ID: op.OperationID}
			for _, prm := range op.Parameters {
				o.Params = append(o.Params, pages.APIFieldVM{Name: prm.Name, In: prm.In, Type: prm.Schema.typeText(), Required: prm.Required, Description: prm.Description})
			}
			if op.RequestBody != nil {
				for ct, c := range op.RequestBody.Content {
					o.Body = ct + ": " + c.Schema.typeText()
				}
			}
			codes := make([]string, 0, len(op.Responses))
			for code := range op.Responses {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			for _, code := range codes {
				r := op.Responses[code]
				if r.Ref != "" {
					r = d.Components.Responses[refName(r.Ref)]
				}
				rv := pages.APIResponseVM{Code: code, Description: r.Description}
				for ct, c := range r.Content {
					rv.Body = ct + ": " + c.Schema.typeText()
				}
				o.Responses = append(o.Responses, rv)
			}
			g.Operations = append(g.Operations, o)
		}
	}
	for _, t := range tagOrder {
		vm.Tags = append(vm.Tags, *groups[t])
	}
	names := make([]string, 0, len(d.Components.Schemas))
	for n := range d.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sch := d.Components.Schemas[n]
		sv := pages.APISchemaVM{Name: n, Description: sch.Description, Type: sch.typeText()}
		// An allOf of inline parts shows their fields as its own.
		for _, part := range sch.AllOf {
			for p, ps := range part.Properties {
				if sch.Properties == nil {
					sch.Properties = map[string]oaSchema{}
				}
				sch.Properties[p] = ps
			}
			sch.Required = append(sch.Required, part.Required...)
		}
		props := make([]string, 0, len(sch.Properties))
		for p := range sch.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		for _, p := range props {
			ps := sch.Properties[p]
			sv.Fields = append(sv.Fields, pages.APIFieldVM{Name: p, Type: ps.typeText(), Required: slices.Contains(sch.Required, p), Description: ps.Description})
		}
		vm.Schemas = append(vm.Schemas, sv)
	}
	return vm, nil
}
