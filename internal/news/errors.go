// Package news is the headlines domain: articles, the country and theme
// vocabularies, list filters, validation and the error codes every other
// package speaks. It imports only the standard library.
package news

import (
	"errors"
	"fmt"
)

// Code classifies an error by what the caller can do about it. The API maps
// each code to one HTTP status.
type Code string

// The error codes of the domain.
const (
	EInvalid            Code = "invalid"               // malformed request or parameter
	EValidation         Code = "validation"            // well-formed input that breaks a rule
	ENotFound           Code = "not_found"             // no such resource
	EConflict           Code = "conflict"              // clashes with existing data (duplicate url, theme in use)
	EPreconditionFailed Code = "precondition_failed"   // stale If-Match version
	EPreconditionNeeded Code = "precondition_required" // If-Match required but missing
	EUnauthorized       Code = "unauthorized"          // no or unknown key
	EForbidden          Code = "forbidden"             // key lacks the role
	ETooLarge           Code = "too_large"             // body over the limit
	EUnsupportedMedia   Code = "unsupported_media"     // wrong content type
	ETooMany            Code = "too_many_requests"     // over a rate limit
	EUnavailable        Code = "unavailable"           // database unreachable
	EStorageFull        Code = "storage_full"          // the database's storage is full: a write cannot be stored
	EInternal           Code = "internal"              // anything unexpected
)

// FieldError names one failing field of a request.
type FieldError struct {
	Field   string
	Message string
}

// Error is a domain error: a code, a human message, and where useful the
// failing fields or the id of the article a request collided with.
type Error struct {
	Code       Code
	Message    string
	Fields     []FieldError
	ExistingID int64
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 || e.Message == e.Fields[0].Field+": "+e.Fields[0].Message { // FieldErrorf's message names the field already
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s: %s)", e.Code, e.Message, e.Fields[0].Field, e.Fields[0].Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one named field.
func FieldErrorf(code Code, field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: code, Message: field + ": " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Problems collects field errors so that validation reports every failing
// field at once rather than the first.
type Problems []FieldError

// Add records a failing field.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing failed, else an *Error with code and every
// collected field.
func (p Problems) Err(code Code, message string) error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: code, Message: message, Fields: p}
}
