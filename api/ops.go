package api

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/docs"
)

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status" example:"ok"`
} //	@name	Health

// healthz godoc
//
//	@Summary	Liveness
//	@Tags		ops
//	@ID			healthz
//	@Produce	json,application/problem+json
//	@Success	200	{object}	Health
//	@Router		/healthz [get]
func (h *handlers) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, Health{Status: "ok"})
}

// readyz godoc
//
//	@Summary	Readiness: the database answers
//	@Tags		ops
//	@ID			readyz
//	@Produce	json,application/problem+json
//	@Success	200	{object}	Health
//	@Failure	503	{object}	Problem
//	@Router		/readyz [get]
func (h *handlers) readyz(c echo.Context) error {
	if err := h.ping(c.Request().Context()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Health{Status: "ok"})
}

var openAPI3 = sync.OnceValues(func() ([]byte, error) {
	return OpenAPI3JSON()
})

// OpenAPI3JSON converts the generated Swagger 2.0 document to OpenAPI 3.
func OpenAPI3JSON() ([]byte, error) {
	var v2 openapi2.T
	if err := json.Unmarshal([]byte(docs.SwaggerInfo.ReadDoc()), &v2); err != nil {
		return nil, err
	}
	v3, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v3)
}

// openAPI serves the OpenAPI 3 form of the spec (not itself documented in it).
func (h *handlers) openAPI(c echo.Context) error {
	doc, err := openAPI3()
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, doc)
}
