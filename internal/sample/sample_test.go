package sample

import (
	"reflect"
	"testing"
)

func TestDeterministicAndZipfLike(t *testing.T) {
	a, b := New(42), New(42)
	counts := map[string]int{}
	for range 20000 {
		x, y := a.Next(), b.Next()
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("the same seed gave %v and %v", x, y)
		}
		if len(x.Countries) < 1 || len(x.Countries) > 3 || len(x.Themes) < 1 || len(x.Themes) > 2 {
			t.Fatalf("tags %v %v", x.Countries, x.Themes)
		}
		for _, c := range x.Countries {
			counts[c]++
		}
	}
	if counts["KP"] <= counts["RU"] || counts["RU"] <= counts["JP"] || counts["JP"] <= counts["CU"] || counts["CU"] == 0 {
		t.Errorf("country frequencies are not Zipf-like: %v", counts)
	}
	if New(1).Next().Title == New(2).Next().Title {
		t.Error("different seeds gave the same first article")
	}
}
