package atlastest

import (
	"mime"
	"strings"
	"time"
)

// firstVersion is the only resource version of the export-job operations. The service answers
// a later version date with the newest version not after it, and refuses an earlier one.
var firstVersion = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

// versionDate parses the date of application/vnd.atlas.YYYY-MM-DD+json; ok is false for any
// other media type.
func versionDate(mediaType string) (date time.Time, valid, ok bool) {
	rest, found := strings.CutPrefix(mediaType, "application/vnd.atlas.")
	if !found {
		return time.Time{}, false, false
	}
	ds, found := strings.CutSuffix(rest, "+json")
	if !found {
		return time.Time{}, false, false
	}
	d, err := time.Parse(time.DateOnly, ds)
	return d, err == nil, true
}

// checkAccept decides whether the Accept header allows a JSON answer. It is lenient the way
// the service is: no header, */*, application/* and application/json all do. On refusal it
// returns the errorCode and detail of the 406 answer.
func checkAccept(values []string) (ok bool, code, detail string) {
	if len(values) == 0 {
		return true, "", ""
	}
	badDate := ""
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, _, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			switch mt {
			case "*/*", "application/*", mediaTypeJSON:
				return true, "", ""
			}
			if d, valid, isAtlas := versionDate(mt); isAtlas {
				if valid && !d.Before(firstVersion) {
					return true, "", ""
				}
				badDate = mt
			}
		}
	}
	if badDate != "" {
		return false, "INVALID_VERSION_DATE",
			"An invalid version date was specified in the accept header: " + badDate + ". The first version of this resource is 2023-01-01."
	}
	return false, "INVALID_ACCEPT_HEADER",
		"The Accept header must allow application/json or application/vnd.atlas.2023-01-01+json."
}

// jsonContentType reports whether a request body's Content-Type is one the service reads:
// application/json or a versioned application/vnd.atlas.YYYY-MM-DD+json.
func jsonContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if mt == mediaTypeJSON {
		return true
	}
	_, valid, isAtlas := versionDate(mt)
	return isAtlas && valid
}
