package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

func strList(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// tagState reads an article's tags and who chose them.
func tagState(t *testing.T, a map[string]any) (countries, themes []string, source string) {
	t.Helper()
	ts, ok := a["tag_source"].(map[string]any)
	if !ok {
		t.Fatalf("no tag_source in %v", a)
	}
	return strList(a["countries"]), strList(a["themes"]), fmt.Sprintf("%v/%v", ts["countries"], ts["themes"])
}

// TestAutomaticTags: a create, replace or import that leaves countries or
// themes out gets them from the tagger and says so; a list given, even
// empty, is kept; a patch keeps automatic tags following the text until
// it sets them.
func TestAutomaticTags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		const text = `"title":"Kim Jong Un to send 6K military workers to rebuild Russia’s Kursk: Shoigu",` +
			`"summary":"North Korean deployment will include 5K construction workers, security chief says"`
		// What the tagger applies to the text, as /v1/classify gives it.
		classified := e.do(req{method: "POST", path: "/v1/classify", key: true, body: `{` + text + `}`}).json(t)
		var autoC, autoT []string
		for _, c := range classified["countries"].([]any) {
			autoC = append(autoC, c.(map[string]any)["code"].(string))
		}
		for _, th := range classified["themes"].([]any) {
			autoT = append(autoT, th.(map[string]any)["slug"].(string))
		}
		slices.Sort(autoC)
		slices.Sort(autoT)
		if !slices.Equal(autoC, []string{"KP", "RU"}) || !slices.Contains(autoT, "labor") {
			t.Fatalf("the tagger finds %v %v in the text, want [KP RU] and labor among the themes", autoC, autoT)
		}
		checks := []struct {
			name, body        string
			countries, themes []string
			source            string
		}{
			{"both left out", `{` + text + `}`, autoC, autoT, "auto/auto"},
			{"empty lists kept", `{` + text + `,"countries":[],"themes":[]}`, []string{}, []string{}, "editor/editor"},
			{"themes left out", `{` + text + `,"countries":["Russia"]}`, []string{"RU"}, autoT, "editor/auto"},
			{"nothing to find", `{"title":"Weather report","summary":"Sunny"}`, []string{}, []string{}, "auto/auto"},
		}
		for _, c := range checks {
			r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: c.body})
			if r.status != 201 {
				t.Fatalf("%s: %d %s", c.name, r.status, r.body)
			}
			gotC, gotT, src := tagState(t, r.json(t))
			if !slices.Equal(gotC, c.countries) || !slices.Equal(gotT, c.themes) || src != c.source {
				t.Errorf("%s: %v %v %s, want %v %v %s", c.name, gotC, gotT, src, c.countries, c.themes, c.source)
			}
		}
		// The stored article says the same, and lists show it when asked.
		id := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{` + text + `}`}).json(t)["id"]
		path := fmt.Sprintf("/v1/articles/%v", id)
		if _, _, src := tagState(t, e.do(req{path: path}).json(t)); src != "auto/auto" {
			t.Errorf("GET: tag_source %s", src)
		}
		list := e.do(req{path: "/v1/articles?limit=1"}).json(t)["data"].([]any)[0].(map[string]any)
		if _, ok := list["tag_source"]; ok {
			t.Error("lists carry tag_source without fields= asking")
		}
		list = e.do(req{path: "/v1/articles?limit=1&fields=title,tag_source"}).json(t)["data"].([]any)[0].(map[string]any)
		if _, ok := list["tag_source"]; !ok {
			t.Error("fields=tag_source leaves it out")
		}

		// A patch of the text re-tags what is automatic.
		r := e.do(req{method: "PATCH", path: path, key: true, body: `{"title":"Seoul and Tokyo hold talks","summary":""}`})
		gotC, gotT, src := tagState(t, r.json(t))
		if !slices.Equal(gotC, []string{"JP", "KR"}) || !slices.Equal(gotT, []string{"diplomacy"}) || src != "auto/auto" {
			t.Errorf("after a patch of the text: %v %v %s, want [JP KR] [diplomacy] auto/auto", gotC, gotT, src)
		}
		// A patch that sets a list makes it the editor's.
		r = e.do(req{method: "PATCH", path: path, key: true, body: `{"themes":["trade"]}`})
		if gotC, gotT, src := tagState(t, r.json(t)); !slices.Equal(gotC, []string{"JP", "KR"}) || !slices.Equal(gotT, []string{"trade"}) || src != "auto/editor" {
			t.Errorf("after a patch of themes: %v %v %s, want [JP KR] [trade] auto/editor", gotC, gotT, src)
		}
		// A replace without countries tags them again; with themes, keeps them.
		r = e.do(req{method: "PUT", path: path, key: true, body: `{"title":"Moscow ships wheat to Pyongyang as humanitarian aid","themes":["trade"]}`})
		if gotC, gotT, src := tagState(t, r.json(t)); !slices.Equal(gotC, []string{"KP", "RU"}) || !slices.Equal(gotT, []string{"trade"}) || src != "auto/editor" {
			t.Errorf("after a replace: %v %v %s, want [KP RU] [trade] auto/editor", gotC, gotT, src)
		}
		// Filters find automatic tags like any others.
		found := e.do(req{path: "/v1/articles?country=RU&theme=trade&q=wheat"}).json(t)["data"].([]any)
		if len(found) != 1 || fmt.Sprint(found[0].(map[string]any)["id"]) != fmt.Sprint(id) {
			t.Errorf("country=RU&theme=trade&q=wheat found %d articles, want the replaced one", len(found))
		}

		// A batch item without tags is tagged too.
		r = e.do(req{method: "POST", path: "/v1/articles/batch", key: true,
			body: `{"articles":[{"title":"DPRK hackers steal crypto from Japanese exchange","url":"https://example.com/heist"}]}`})
		if r.status != 207 {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		item := r.json(t)["results"].([]any)[0].(map[string]any)["article"].(map[string]any)
		if gotC, gotT, src := tagState(t, item); !slices.Equal(gotC, []string{"JP", "KP"}) || !slices.Equal(gotT, []string{"cyber"}) || src != "auto/auto" {
			t.Errorf("batch item: %v %v %s, want [JP KP] [cyber] auto/auto", gotC, gotT, src)
		}
	})
}

// TestClassify: suggestions with the words that matched, from the same
// vocabulary editors extend through the themes API.
func TestClassify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		body := `{"title":"New Zealand targets North Korean military support for Russia with new sanctions",` +
			`"summary":"Wellington accuses DPRK of helping Moscow ‘sustain its illegal war of aggression’"}`
		r := e.do(req{method: "POST", path: "/v1/classify", key: true, body: body})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		got := r.json(t)
		var countries []string
		for _, c := range got["countries"].([]any) {
			m := c.(map[string]any)
			countries = append(countries, fmt.Sprintf("%v %v %v", m["code"], m["name"], strList(m["matched"])))
		}
		want := []string{
			"NZ New Zealand [New Zealand Wellington]",
			"KP North Korea [North Korean DPRK]",
			"RU Russia [Russia Moscow]",
		}
		if !slices.Equal(countries, want) {
			t.Errorf("countries\n%v\nwant\n%v", countries, want)
		}
		var themes []string
		for _, th := range got["themes"].([]any) {
			m := th.(map[string]any)
			themes = append(themes, fmt.Sprintf("%v %v", m["slug"], strList(m["matched"])))
		}
		if !slices.Equal(themes, []string{"troops [military war]", "sanctions [sanctions]"}) {
			t.Errorf("themes %v", themes)
		}

		// Nothing to tag, too long, unknown fields, no key: named problems.
		assertProblem(t, e.do(req{method: "POST", path: "/v1/classify", key: true, body: `{"title":"  "}`}), 422, "title")
		long := `{"title":"x","summary":"` + strings.Repeat("x", 1001) + `"}`
		assertProblem(t, e.do(req{method: "POST", path: "/v1/classify", key: true, body: long}), 422, "summary")
		assertProblem(t, e.do(req{method: "POST", path: "/v1/classify", key: true, body: `{"headline":"x"}`}), 400, "")
		assertProblem(t, e.do(req{method: "POST", path: "/v1/classify", body: body}), 401, "")

		// An admin teaches a theme a new keyword; suggestions follow at once.
		text := `{"title":"North Korea ships anthracite to Vietnam"}`
		before := e.do(req{method: "POST", path: "/v1/classify", key: true, body: text}).json(t)["themes"].([]any)
		if len(before) != 0 {
			t.Fatalf("themes before the keyword: %v", before)
		}
		theme := e.do(req{path: "/v1/themes/trade"}).json(t)
		keywords := append(strList(theme["keywords"]), "anthracite")
		patch, _ := json.Marshal(map[string][]string{"keywords": keywords})
		if r := e.do(req{method: "PATCH", path: "/v1/themes/trade", admin: true, body: string(patch)}); r.status != 200 {
			t.Fatalf("patch keywords: %d %s", r.status, r.body)
		}
		after := e.do(req{method: "POST", path: "/v1/classify", key: true, body: text}).json(t)["themes"].([]any)
		if len(after) != 1 || after[0].(map[string]any)["slug"] != "trade" {
			t.Errorf("themes after the keyword: %v, want trade", after)
		}
		// A weak cue alone is not applied: "envoy" is evidence of
		// diplomacy, too little on its own; what is suggested is below
		// what is applied, with its evidence.
		weak := e.do(req{method: "POST", path: "/v1/classify", key: true, body: `{"title":"Swedish envoy attends a concert in Pyongyang"}`}).json(t)
		for _, th := range weak["themes"].([]any) {
			if th.(map[string]any)["slug"] == "diplomacy" {
				t.Errorf("one weak cue: diplomacy applied: %v", th)
			}
		}
		for _, th := range weak["suggested"].(map[string]any)["themes"].([]any) {
			m := th.(map[string]any)
			if c := m["confidence"].(float64); c >= 0.5 || len(strList(m["matched"]))+len(strList(m["weighed"])) == 0 {
				t.Errorf("suggested %v: confidence %v, or no evidence", m["slug"], c)
			}
		}
		for _, bad := range []string{`"~"`, `"[Name]"`, `"[Name] talks"`, `"~-x"`, `"-~x"`, `"~~envoy"`, `"--envoy"`, `"-[Name]"`} {
			assertProblem(t, e.do(req{method: "PATCH", path: "/v1/themes/trade", admin: true, body: `{"keywords":[` + bad + `]}`}), 422, "keywords")
		}
		// What a create refuses in a title, classify refuses too.
		assertProblem(t, e.do(req{method: "POST", path: "/v1/classify", key: true, body: `{"title":"Russia \u202e sia"}`}), 422, "title")
		assertProblem(t, e.do(req{method: "PATCH", path: "/v1/themes/trade", admin: true, body: `{"keywords":["ab*"]}`}), 422, "keywords")
		assertProblem(t, e.do(req{method: "PATCH", path: "/v1/themes/trade", admin: true, body: `{"keywords":["-"]}`}), 422, "keywords")
	})
}
