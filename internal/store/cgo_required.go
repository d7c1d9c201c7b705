//go:build !cgo

package store

// The store needs cgo: SQLite is C, which mattn/go-sqlite3 compiles in
// only with cgo, leaving stubs without it that the store cannot use.
// Without cgo the build stops here, naming it, among the stubs' errors.
// Build with CGO_ENABLED=1 and a C compiler (make and the Dockerfile do).
const _ = this_build_needs_cgo__set_CGO_ENABLED_1_and_have_a_C_compiler
