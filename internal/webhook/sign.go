// Package webhook delivers the change feed to webhooks' receivers as the
// Standard Webhooks specification describes: each event a signed POST,
// retried with backoff until the receiver answers 2xx, one webhook at a
// time per instance under a lease in the database, and never to an
// address inside the network unless that is allowed.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 HMAC-SHA256, keyed by the secret, of "id.timestamp.body".
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	key, err := news.WebhookKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
