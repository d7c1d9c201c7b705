package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/webhook"
)

// TestSignatureVerifiesElsewhere: what Sign writes, the Standard Webhooks
// library verifies, and a changed body or id does not.
func TestSignatureVerifiesElsewhere(t *testing.T) {
	secret := news.NewWebhookSecret()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	body := []byte(`{"type":"article.published","data":{"id":1}}`)
	sig, err := webhook.Sign(secret, "msg_1_2", at, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_1_2")
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("the library does not verify %s: %v", sig, err)
	}
	if err := wh.Verify([]byte(`{"type":"article.published","data":{"id":2}}`), h); err == nil {
		t.Error("a changed body verifies")
	}
	h.Set("webhook-id", "msg_1_3")
	if err := wh.Verify(body, h); err == nil {
		t.Error("a changed id verifies")
	}
}

// TestRefused lists addresses a receiver may not be on, and some it may.
func TestRefused(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "127.9.9.9", "::1", "10.1.2.3", "172.20.0.1", "192.168.0.10", "169.254.169.254",
		"fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "0.0.0.0", "::", "100.100.100.200",
		"224.0.0.1", "255.255.255.255", "2002:7f00:1::", "2002:a9fe:a9fe::1", "64:ff9b::a00:1", "198.18.0.1"} {
		if webhook.Refused(netip.MustParseAddr(a)) == "" {
			t.Errorf("%s is allowed", a)
		}
	}
	for _, a := range []string{"93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"} {
		if why := webhook.Refused(netip.MustParseAddr(a)); why != "" {
			t.Errorf("%s is refused: %s", a, why)
		}
	}
}

// TestClientRefusesInternalAddresses: the delivery client does not
// connect to a server on loopback unless private addresses are allowed,
// and it does not follow redirects.
func TestClientRefusesInternalAddresses(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/away" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	_, err := webhook.Client(time.Second, false).Get(srv.URL)
	var re *webhook.RefusedError
	if !errors.As(err, &re) || !strings.Contains(re.Error(), "loopback") || hits != 0 {
		t.Fatalf("a loopback receiver: %v (%d requests reached it)", err, hits)
	}
	res, err := webhook.Client(time.Second, true).Get(srv.URL + "/away")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusFound || hits != 1 {
		t.Errorf("a redirect: %d after %d requests; want the 302 itself", res.StatusCode, hits)
	}
}

// TestCheckURL: what a webhook's url may be.
func TestCheckURL(t *testing.T) {
	for _, u := range []string{"https://partner.example/hooks", "http://203.0.113.7:8080/h?x=1", "https://[2606:4700::1111]/"} {
		if _, err := webhook.CheckURL(u, false); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1/", "http://LOCALHOST./", "http://metadata.google.internal/", "https://x.local/",
		"http://[fe80::1]/", "javascript:alert(1)", "https://a b/", "https://partner.example/#frag", "https://u@partner.example/"} {
		if _, err := webhook.CheckURL(u, false); news.ErrorCode(err) != news.EInvalid {
			t.Errorf("%s is accepted (%v)", u, err)
		}
	}
	if _, err := webhook.CheckURL("http://127.0.0.1:9000/", true); err != nil {
		t.Errorf("allowed private: %v", err)
	}
}
