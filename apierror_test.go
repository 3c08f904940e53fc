package atlas_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// The example bodies of the spec's components.responses, copied unchanged.
const (
	badRequestBody = `{"detail":"(This is just an example, the exception may not be related to this endpoint) No provider AWS exists.","error":400,"errorCode":"VALIDATION_ERROR","reason":"Bad Request"}`

	unauthorizedBody = `{"detail":"(This is just an example, the exception may not be related to this endpoint)","error":401,"errorCode":"NOT_ORG_GROUP_CREATOR","reason":"Unauthorized"}`

	forbiddenBody = `{"detail":"(This is just an example, the exception may not be related to this endpoint)","error":403,"errorCode":"CANNOT_CHANGE_GROUP_NAME","reason":"Forbidden"}`

	notFoundBody = `{"detail":"(This is just an example, the exception may not be related to this endpoint) Cannot find resource AWS","error":404,"errorCode":"RESOURCE_NOT_FOUND","reason":"Not Found"}`

	conflictBody = `{"detail":"(This is just an example, the exception may not be related to this endpoint) Cannot delete organization link while there is active migration in following project ids: 60c4fd418ebe251047c50554","error":409,"errorCode":"CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK","reason":"Conflict"}`

	tooManyRequestsBody = `{"detail":"(This is just an example, the exception may not be related to this endpoint)","error":429,"errorCode":"RATE_LIMITED","reason":"Too Many Requests"}`

	internalServerErrorBody = `{"detail":"(This is just an example, the exception may not be related to this endpoint)","error":500,"errorCode":"UNEXPECTED_ERROR","reason":"Internal Server Error"}`
)

// sentinels are the status sentinels an *APIError may match.
var sentinels = []error{atlas.ErrUnauthorized, atlas.ErrForbidden, atlas.ErrNotFound, atlas.ErrRateLimited, atlas.ErrServer}

// getError runs one Get, without retries, against a handler and returns its *APIError.
func getError(t *testing.T, h http.HandlerFunc) (*atlas.APIError, error) {
	t.Helper()
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, h)
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.Error(t, err)
	require.Nil(t, job, "never a job with an error")
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.EqualValues(t, 1, srv.Requests())
	return apiErr, err
}

func TestAPIErrorFromSpecExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status                  int
		body                    string
		errorCode, reason, want string // want: the start of Detail
		sentinel                error
	}{
		{400, badRequestBody, "VALIDATION_ERROR", "Bad Request", "(This is just an example, the exception may not be related to this endpoint) No provider AWS exists.", nil},
		{401, unauthorizedBody, "NOT_ORG_GROUP_CREATOR", "Unauthorized", "(This is just an example, the exception may not be related to this endpoint)", atlas.ErrUnauthorized},
		{403, forbiddenBody, "CANNOT_CHANGE_GROUP_NAME", "Forbidden", "(This is just an example, the exception may not be related to this endpoint)", atlas.ErrForbidden},
		{404, notFoundBody, "RESOURCE_NOT_FOUND", "Not Found", "(This is just an example, the exception may not be related to this endpoint) Cannot find resource AWS", atlas.ErrNotFound},
		{409, conflictBody, "CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK", "Conflict", "(This is just an example, the exception may not be related to this endpoint) Cannot delete organization link while there is active migration in following project ids: 60c4fd418ebe251047c50554", nil},
		{429, tooManyRequestsBody, "RATE_LIMITED", "Too Many Requests", "(This is just an example, the exception may not be related to this endpoint)", atlas.ErrRateLimited},
		{500, internalServerErrorBody, "UNEXPECTED_ERROR", "Internal Server Error", "(This is just an example, the exception may not be related to this endpoint)", atlas.ErrServer},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			apiErr, err := getError(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, tt.status, tt.body) })
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.errorCode, apiErr.ErrorCode)
			assert.Equal(t, tt.reason, apiErr.Reason)
			assert.Equal(t, tt.want, apiErr.Detail)
			assert.Equal(t, http.MethodGet, apiErr.Method)
			assert.Equal(t, jobPath, apiErr.Path)
			assert.Nil(t, apiErr.Body, "a decoded ApiError does not keep the raw body")
			assert.Zero(t, apiErr.RetryAfter)
			assert.Nil(t, apiErr.RateLimit)

			for _, s := range sentinels {
				if s == tt.sentinel {
					assert.ErrorIs(t, err, s)
				} else {
					assert.NotErrorIs(t, err, s)
				}
			}
			assert.NotErrorIs(t, err, atlas.ErrInvalidResponse)
			assert.NotErrorIs(t, err, atlas.ErrInvalidArgument)

			// The operation once, then the status, the errorCode, the detail and for a 401 or a
			// 403 the hint.
			want := fmt.Sprintf("atlas: GET %s: %d %s (%s): %s", jobPath, tt.status, http.StatusText(tt.status), tt.errorCode, tt.want)
			if apiErr.Hint != "" {
				want += ". " + apiErr.Hint
			}
			assert.Equal(t, want, err.Error())
			assert.Equal(t, tt.status == http.StatusUnauthorized || tt.status == http.StatusForbidden, apiErr.Hint != "")
		})
	}
}

func TestAPIErrorRateLimitedByErrorCode(t *testing.T) {
	t.Parallel()
	// Atlas has refused with a 400 whose errorCode names a rate limit.
	apiErr, err := getError(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusBadRequest, `{"error":400,"errorCode":"INVITATIONS_RATE_LIMITED_IP","reason":"Bad Request","detail":"Too many invitations."}`)
	})
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.ErrorIs(t, err, atlas.ErrRateLimited)
	assert.NotErrorIs(t, err, atlas.ErrServer)
}

func TestAPIErrorNonJSONBodies(t *testing.T) {
	t.Parallel()
	const html = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantBody    string
		sentinel    error
	}{
		{"HTML 502 from a proxy", 502, "text/html", html + "\n", html, atlas.ErrServer},
		{"empty 503", 503, "", "", "", atlas.ErrServer},
		{"empty 404", 404, "", "", "", atlas.ErrNotFound},
		{"JSON that is not an ApiError", 500, "application/json", `{"message":"upstream timeout"}`, `{"message":"upstream timeout"}`, atlas.ErrServer},
		{"ApiError without errorCode", 403, "application/json", `{"error":403}`, `{"error":403}`, atlas.ErrForbidden},
		{"invalid UTF-8", 500, "text/plain", "bad \xff\xfe bytes", "bad \uFFFD bytes", atlas.ErrServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiErr, err := getError(t, func(w http.ResponseWriter, _ *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Empty(t, apiErr.ErrorCode)
			if tt.wantBody == "" {
				assert.Nil(t, apiErr.Body)
			} else {
				assert.Equal(t, tt.wantBody, string(apiErr.Body))
			}
			for _, s := range sentinels {
				if s == tt.sentinel {
					assert.ErrorIs(t, err, s)
				} else {
					assert.NotErrorIs(t, err, s)
				}
			}
			assert.Contains(t, err.Error(), fmt.Sprint(tt.status))
		})
	}
}

func TestAPIErrorBodyIsBounded(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	// 1 MiB bodies, far over the cap; the memory it takes is measured in body_test.go.
	for _, tt := range []struct {
		name, chunk string
		want        int
	}{
		{"ASCII", "x", atlas.MaxErrorBytes},
		// Invalid bytes become three-byte U+FFFDs, which the body is cut again to fit.
		{"invalid UTF-8", "a\xff", atlas.MaxErrorBytes},
		// A multi-byte rune that the cap cuts in half is dropped whole.
		{"runes", "€", atlas.MaxErrorBytes - atlas.MaxErrorBytes%3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			apiErr, err := getError(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, strings.Repeat(tt.chunk, (1<<20)/len(tt.chunk)))
			})
			assert.ErrorIs(t, err, atlas.ErrServer)
			assert.Len(t, apiErr.Body, tt.want)
			assert.True(t, utf8.Valid(apiErr.Body))
		})
	}
}

func TestAPIErrorBadRequestDetail(t *testing.T) {
	t.Parallel()
	const body = `{"error":400,"errorCode":"INVALID_ATTRIBUTE","reason":"Bad Request","detail":"Invalid attribute snapshotId specified.",
		"parameters":["snapshotId", 7],
		"badRequestDetail":{"fields":[{"field":"snapshotId","description":"must be a 24-character hex string"},
		                              {"field":"customData[0].key","description":"must not be empty"}]}}`
	srv := newServer(t)
	srv.Mux.HandleFunc(exportsPath, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusBadRequest, body) })
	c := newClient(t, srv)
	job, err := c.Exports.Create(t.Context(), testGroupID, testCluster,
		&atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	assert.Nil(t, job)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, http.MethodPost, apiErr.Method)
	assert.Equal(t, "INVALID_ATTRIBUTE", apiErr.ErrorCode)
	assert.Equal(t, []any{"snapshotId", float64(7)}, apiErr.Parameters)
	assert.Equal(t, []atlas.FieldViolation{
		{Field: "snapshotId", Description: "must be a 24-character hex string"},
		{Field: "customData[0].key", Description: "must not be empty"},
	}, apiErr.BadRequestDetail.Fields)
	assert.Contains(t, err.Error(), "snapshotId: must be a 24-character hex string")
	for _, s := range sentinels {
		assert.NotErrorIs(t, err, s)
	}
}

func TestAPIErrorRetryAfterAndRateLimit(t *testing.T) {
	t.Parallel()
	date := time.Now().Add(45 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name                  string
		retryAfter            string
		limit, remaining      string
		wantMin, wantMax      time.Duration
		wantLimit, wantRemain int
		wantRateLimit         bool
	}{
		{"seconds", "7", "100", "0", 7 * time.Second, 7 * time.Second, 100, 0, true},
		{"HTTP date", date, "", "", 43 * time.Second, 45 * time.Second, 0, 0, false},
		{"date in the past", "Wed, 21 Oct 2015 07:28:00 GMT", "10", "3", 0, 0, 10, 3, true},
		{"garbage", "soon", "ten", "3", 0, 0, 0, 0, false},
		{"negative", "-5", "", "", 0, 0, 0, 0, false},
		// delay-seconds is 1*DIGIT (RFC 9110, 10.2.3): a sign makes it no delay at all.
		{"signed", "+1", "", "", 0, 0, 0, 0, false},
		{"absent", "", "", "", 0, 0, 0, 0, false},
		// Too large for an int64: saturates, so the client gives up rather than retry at once.
		{"past int64", "99999999999999999999", "", "", math.MaxInt64, math.MaxInt64, 0, 0, false},
		{"past a Duration", "9223372037", "", "", math.MaxInt64, math.MaxInt64, 0, 0, false},
		{"the longest Duration in seconds", "9223372036", "", "", 9223372036 * time.Second, 9223372036 * time.Second, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiErr, err := getError(t, func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range map[string]string{"Retry-After": tt.retryAfter, "RateLimit-Limit": tt.limit, "RateLimit-Remaining": tt.remaining} {
					if v != "" {
						w.Header().Set(k, v)
					}
				}
				writeJSON(w, http.StatusTooManyRequests, tooManyRequestsBody)
			})
			assert.ErrorIs(t, err, atlas.ErrRateLimited)
			assert.GreaterOrEqual(t, apiErr.RetryAfter, tt.wantMin)
			assert.LessOrEqual(t, apiErr.RetryAfter, tt.wantMax)
			if !tt.wantRateLimit {
				assert.Nil(t, apiErr.RateLimit)
				return
			}
			require.NotNil(t, apiErr.RateLimit)
			assert.Equal(t, atlas.RateLimit{Limit: tt.wantLimit, Remaining: tt.wantRemain}, *apiErr.RateLimit)
		})
	}
}

func TestAPIErrorIsWithoutAResponse(t *testing.T) {
	t.Parallel()
	// Is works on a hand-made APIError too, as a test double in a user's code would build it.
	tests := []struct {
		err  *atlas.APIError
		want []error
	}{
		{&atlas.APIError{StatusCode: 401}, []error{atlas.ErrUnauthorized}},
		{&atlas.APIError{StatusCode: 403}, []error{atlas.ErrForbidden}},
		{&atlas.APIError{StatusCode: 404}, []error{atlas.ErrNotFound}},
		{&atlas.APIError{StatusCode: 429}, []error{atlas.ErrRateLimited}},
		{&atlas.APIError{StatusCode: 503, ErrorCode: "SERVICE_UNAVAILABLE"}, []error{atlas.ErrServer}},
		{&atlas.APIError{StatusCode: 599}, []error{atlas.ErrServer}},
		{&atlas.APIError{StatusCode: 403, ErrorCode: "ORG_RATE_LIMITED"}, []error{atlas.ErrForbidden, atlas.ErrRateLimited}},
		{&atlas.APIError{StatusCode: 418}, nil},
		{&atlas.APIError{StatusCode: 600}, nil},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("calling Atlas: %w", tt.err)
		for _, s := range append(sentinels, atlas.ErrInvalidArgument, atlas.ErrInvalidResponse) {
			assert.Equal(t, slices.Contains(tt.want, s), errors.Is(wrapped, s), "%d %s is %v", tt.err.StatusCode, tt.err.ErrorCode, s)
		}
	}
}

// TestRefusalsSayWhatToCheck: a 401 names the credentials of the auth mode in use, a 403 the
// role the operation needs, and neither repeats a credential.
func TestRefusalsSayWhatToCheck(t *testing.T) {
	t.Parallel()
	const wrongSecret = "canary-wrong-secret-77"
	f := setup(t)
	for _, tc := range []struct {
		name string
		auth atlas.Option
		want []string
	}{
		{"service account", atlas.WithServiceAccount(f.srv.ClientID, wrongSecret), []string{atlas.EnvClientID, "WithServiceAccount"}},
		{"digest", atlas.WithDigest(f.srv.PublicKey, wrongSecret), []string{atlas.EnvPublicKey, "WithDigest", "IP access list"}},
		{"access token", atlas.WithAccessToken(wrongSecret), []string{atlas.EnvAccessToken, "expired"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.connect(t, tc.auth, 0)
			_, err := c.ExportBuckets.Get(t.Context(), testGroupID, testBucket)
			require.ErrorIs(t, err, atlas.ErrUnauthorized)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), wrongSecret)
			var apiErr *atlas.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.NotEmpty(t, apiErr.Hint)
		})
	}

	f.srv.SetAccess(testGroupID, atlastest.AccessReadOnly)
	_, err := f.client.Exports.Create(t.Context(), testGroupID, testCluster, &atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	require.ErrorIs(t, err, atlas.ErrForbidden)
	assert.Contains(t, err.Error(), "Project Backup Export Operator")
	_, err = f.client.Snapshots.Take(t.Context(), testGroupID, testCluster, nil)
	require.ErrorIs(t, err, atlas.ErrForbidden)
	assert.Contains(t, err.Error(), "Project Backup Creator")

	// Other statuses carry no hint.
	_, err = f.client.ExportBuckets.Get(t.Context(), testGroupID, testOtherID)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Empty(t, apiErr.Hint)
}
