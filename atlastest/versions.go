package atlastest

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/atlas-exports/atlas"
)

// resourceVersion is one dated version of an operation's resource, named by its media type
// application/vnd.atlas.YYYY-MM-DD+json.
type resourceVersion struct {
	date      time.Time
	mediaType string
}

// The resource versions the fake serves. The media types are the client's constants; the
// fake's tests check each operation's versions against the spec, not against the client.
var (
	v20230101 = mustVersion(atlas.MediaType)
	v20240530 = mustVersion(atlas.MediaTypeExportBuckets)
)

func mustVersion(mediaType string) resourceVersion {
	d, valid, ok := versionDate(mediaType)
	if !valid || !ok {
		panic("atlastest: " + mediaType + " is not a versioned Atlas media type")
	}
	return resourceVersion{date: d, mediaType: mediaType}
}

// String is the version's date, as the service names versions in its messages.
func (v resourceVersion) String() string { return v.date.Format(time.DateOnly) }

// versionDate parses the date of application/vnd.atlas.YYYY-MM-DD+json; ok is false for any
// other media type, valid is false when the date does not parse.
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

// resolve is what the service does with a version date: the newest of versions (oldest first)
// not after date; ok is false for a date before the first.
func resolve(versions []resourceVersion, date time.Time) (v resourceVersion, ok bool) {
	for _, c := range versions {
		if c.date.After(date) {
			break
		}
		v, ok = c, true
	}
	return v, ok
}

// mediaRange is what one media type of a header asks for: a dated version (explicit), any
// JSON (lenient), or neither.
type mediaRange struct {
	explicit, lenient bool
	version           resourceVersion
	bad               string // the dated media type that names no version of the operation
}

// readMediaType classifies one media type against an operation's versions.
func readMediaType(part string, versions []resourceVersion) mediaRange {
	mt, _, err := mime.ParseMediaType(part)
	if err != nil {
		return mediaRange{}
	}
	switch mt {
	case "*/*", "application/*", mediaTypeJSON:
		return mediaRange{lenient: true}
	}
	d, valid, isAtlas := versionDate(mt)
	if !isAtlas {
		return mediaRange{}
	}
	if v, ok := resolve(versions, d); valid && ok {
		return mediaRange{explicit: true, version: v}
	}
	return mediaRange{bad: mt}
}

// negotiate decides the resource version of a request from its Accept header and, for an
// operation with a body, its Content-Type, answering 406 or 415 itself when no version fits.
//
// Like the service, it answers a dated media type with the newest version not after the date,
// and refuses a date before the operation's first version. It is lenient where the service is:
// no Accept, */*, application/* or application/json get the newest version. A dated
// Content-Type is checked the same way and decides the version when Accept names none; when
// both name one, they must resolve to the same version.
func negotiate(w http.ResponseWriter, r *http.Request, op operation) (resourceVersion, bool) {
	newest := op.versions[len(op.versions)-1]
	accept, ok := negotiateAccept(r.Header.Values("Accept"), op.versions)
	if !ok {
		writeAPIError(w, r, http.StatusNotAcceptable, accept.code("INVALID_ACCEPT_HEADER"), accept.detail(op, "Accept",
			"The Accept header must allow application/json or "+newest.mediaType+"."))
		return resourceVersion{}, false
	}
	if !op.body {
		return accept.chosen(newest), true
	}
	ct := readMediaType(r.Header.Get("Content-Type"), op.versions)
	switch {
	case !ct.explicit && !ct.lenient:
		writeAPIError(w, r, http.StatusUnsupportedMediaType, ct.code("UNSUPPORTED_MEDIA_TYPE"), ct.detail(op, "Content-Type",
			"The request body must be application/json or "+newest.mediaType+"."))
		return resourceVersion{}, false
	case ct.explicit && accept.explicit && ct.version != accept.version:
		writeAPIError(w, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
			"The Content-Type names resource version "+ct.version.String()+" and the Accept header "+
				accept.version.String()+"; a request uses one version.")
		return resourceVersion{}, false
	case ct.explicit:
		return ct.version, true
	}
	return accept.chosen(newest), true
}

// negotiateAccept reads every media type of the Accept headers. An explicit version wins over
// a lenient range, the first in header order over later ones (quality values are ignored).
// ok is false when nothing acceptable was listed; an absent header accepts anything.
func negotiateAccept(values []string, versions []resourceVersion) (mediaRange, bool) {
	var lenient, bad mediaRange
	seen := false
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			seen = true
			switch m := readMediaType(part, versions); {
			case m.explicit:
				return m, true
			case m.lenient:
				lenient = m
			case m.bad != "" && bad.bad == "":
				bad = m
			}
		}
	}
	if !seen || lenient.lenient {
		return mediaRange{lenient: true}, true
	}
	return bad, false
}

// chosen is the version an acceptable range asks for: its own, or newest for a lenient one.
func (m mediaRange) chosen(newest resourceVersion) resourceVersion {
	if m.explicit {
		return m.version
	}
	return newest
}

// code is the errorCode of a refusal: INVALID_VERSION_DATE for a dated media type that names
// no version of the operation, otherwise fallback.
func (m mediaRange) code(fallback string) string {
	if m.bad != "" {
		return "INVALID_VERSION_DATE"
	}
	return fallback
}

// detail is the detail of a refusal, naming the operation's first version for a bad date.
func (m mediaRange) detail(op operation, header, fallback string) string {
	if m.bad == "" {
		return fallback
	}
	return "An invalid version date was specified in the " + header + " header: " + m.bad +
		". The first version of this resource is " + op.versions[0].String() + "."
}
