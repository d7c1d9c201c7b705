package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// refusedNets are the networks a receiver may not be on, beyond what
// netip.Addr's own tests catch (loopback, private, link-local, multicast,
// unspecified): addresses that reach the machine, its provider's network
// or nothing at all. 169.254.169.254, the cloud metadata service, is
// link-local; AWS's IPv6 one, fd00:ec2::254, is private.
var refusedNets = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this" network
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT; Alibaba's metadata at 100.100.100.200
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001::/23"),      // IETF protocol assignments, Teredo among them
	netip.MustParsePrefix("fec0::/10"),      // site-local, deprecated
}

// Refused says why a receiver may not be at ip, or "" when it may.
func Refused(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() && netip.MustParsePrefix("64:ff9b::/96").Contains(ip) {
		b := ip.As16()
		if why := Refused(netip.AddrFrom4([4]byte(b[12:]))); why != "" {
			return why
		}
	}
	if ip.Is6() && netip.MustParsePrefix("2002::/16").Contains(ip) { // 6to4: the IPv4 address in bytes 2 to 5
		b := ip.As16()
		if why := Refused(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
			return why
		}
	}
	switch {
	case ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast():
		return "not an address of one host"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (the cloud metadata service is one)"
	}
	for _, n := range refusedNets {
		if n.Contains(ip) {
			return "a reserved or internal address"
		}
	}
	return ""
}

// RefusedError is a receiver's address that deliveries may not reach.
type RefusedError struct {
	Addr string
	Why  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: %s (HEADLINES_WEBHOOK_ALLOW_PRIVATE=true allows it)", e.Addr, e.Why)
}

// checkDial refuses a connection to an internal address. It runs after
// the name is resolved, for each address tried, so a name that resolves
// (or rebinds) to one is refused as the address itself would be.
func checkDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Addr: address, Why: "not an IP address and port"}
	}
	if why := Refused(ap.Addr()); why != "" {
		return &RefusedError{Addr: ap.Addr().String(), Why: why}
	}
	return nil
}

// Client is the HTTP client of deliveries: each request is limited to
// timeout, no proxy from the environment is used, redirects are not
// followed, and unless allowPrivate no connection reaches an internal
// address.
func Client(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = checkDial
	}
	t := &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Timeout: timeout, Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// CheckURL checks a receiver's URL as a webhook is stored: absolute http
// or https, a host, no credentials or fragment, and, unless allowPrivate,
// no host that is an internal address or names the machine itself. A
// name is checked again against the address it resolves to at each
// delivery.
func CheckURL(raw string, allowPrivate bool) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", news.FieldErrorf(news.EInvalid, "url", format, args...)
	}
	if raw == "" {
		return bad("is required: the receiver's http or https URL")
	}
	if len(raw) > news.MaxWebhookURL {
		return bad("must be at most %d bytes", news.MaxWebhookURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsAny(raw, " \t\r\n"):
		return bad("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("must be an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return bad("must name a host")
	case u.User != nil:
		return bad("must not hold credentials: the signature tells the receiver who sent the event")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("must not have a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("has port %s; a port is 1 to 65535", p)
		}
	}
	if allowPrivate {
		return u.String(), nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".internal") || strings.HasSuffix(host, ".local") {
		return bad("names this machine or an internal network (%s); HEADLINES_WEBHOOK_ALLOW_PRIVATE=true allows it", host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := Refused(ip); why != "" {
			return bad("is %s (%s); HEADLINES_WEBHOOK_ALLOW_PRIVATE=true allows it", why, ip)
		}
	}
	return u.String(), nil
}

// refusal returns the RefusedError in err's chain.
func refusal(err error) (*RefusedError, bool) {
	var re *RefusedError
	ok := errors.As(err, &re)
	return re, ok
}
