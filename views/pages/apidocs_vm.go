package pages

import "dossier/views/components"

// APIDocsVM is the OpenAPI document shaped for reading.
type APIDocsVM struct {
	Title, Version, Description string
	Tags                        []APITagVM
	Schemas                     []APISchemaVM
}

// APITagVM is a group of operations.
type APITagVM struct {
	Name       string
	Operations []APIOperationVM
}

// APIOperationVM is one method on one path.
type APIOperationVM struct {
	ID, Method, Path, Summary, Description string
	Params                                 []APIFieldVM
	Body                                   string
	Responses                              []APIResponseVM
}

// APIResponseVM is one status an operation answers.
type APIResponseVM struct {
	Code, Description, Body string
}

// APIFieldVM is a parameter or a schema property.
type APIFieldVM struct {
	Name, In, Type, Description string
	Required                    bool
}

// APISchemaVM is a named schema with its properties.
type APISchemaVM struct {
	Name, Description, Type string
	Fields                  []APIFieldVM
}

var responseColumns = []components.Column{{Label: "Status", Class: "w-16"}, {Label: "Meaning"}, {Label: "Body"}}
