// Package demo embeds the demo headlines: the "Foreign Relations" section
// about North Korea, tagged by hand with countries and themes. They carry no
// URLs (none are known); their publication times are illustrative and keep
// the section's order.
package demo

import _ "embed"

// Articles is the demo fixture in the import format (JSON Lines, oldest first).
//
//go:embed foreign-relations.jsonl
var Articles []byte
