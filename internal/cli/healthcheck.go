package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"
)

var healthcheckCommand = &command{
	name: "healthcheck", summary: "exit 0 when the server on HEADLINES_ADDR answers /healthz (for container health checks)",
	setup: func(_ *flag.FlagSet, o *options) runFunc {
		return func(ctx context.Context, _ []string) error {
			if err := o.config(); err != nil {
				return err
			}
			return healthcheck(ctx, o.cfg.Addr)
		}
	},
}

// healthcheck asks the local server for /healthz.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", res.Status)
	}
	return nil
}
