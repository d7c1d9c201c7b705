package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/docs"
)

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status" example:"ok"`
} //	@name	Health

// healthz godoc
//
//	@Summary		Liveness
//	@Description	200 while the process serves requests, whatever the database does; for a liveness probe. Not rate limited.
//	@Tags			ops
//	@ID				healthz
//	@Produce		json,application/problem+json
//	@Success		200	{object}	Health
//	@Router			/healthz [get]
func (h *handlers) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, Health{Status: "ok"})
}

// readyz godoc
//
//	@Summary		Readiness: the database answers
//	@Description	200 when the database answers, 503 when it does not; for a readiness probe or a load balancer. Not rate limited.
//	@Tags			ops
//	@ID				readyz
//	@Produce		json,application/problem+json
//	@Success		200	{object}	Health
//	@Failure		503	{object}	Problem
//	@Router			/readyz [get]
func (h *handlers) readyz(c echo.Context) error {
	if err := h.ping(c.Request().Context()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Health{Status: "ok"})
}

// openAPI serves the OpenAPI 3.0.3 document that make docs generated and
// the binary embeds. Swagger UI reads it too.
//
//	@Summary		This OpenAPI document
//	@Description	The contract of this API as OpenAPI 3.0.3, generated from the code: what clients are generated from and Swagger UI shows.
//	@Tags			ops
//	@ID				openAPI
//	@Produce		json
//	@Success		200	{object}	object	"the OpenAPI document"
//	@Router			/openapi.json [get]
func (h *handlers) openAPI(c echo.Context) error {
	return c.JSONBlob(http.StatusOK, docs.OpenAPI)
}
